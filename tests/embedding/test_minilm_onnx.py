"""The packaged all-MiniLM-L6-v2 int8 ONNX embedder, run for real on CPU."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import numpy as np
import pytest

from aurora_mcp.embedding.minilm_onnx import MiniLmOnnxEmbedder
from aurora_mcp.errors import EmbeddingUnavailable

pytestmark = pytest.mark.anyio

# sentence-transformers (torch) is not installed here, so there are no reference vectors to compare with; the
# tests check the properties its pipeline guarantees (unit norm, determinism, batch invariance, truncation) and
# that meaning, not wording, drives similarity.
VARIED_TEXTS = [
    "pg_dump",
    "How do I back up a PostgreSQL database?",
    "",
    "Les sauvegardes quotidiennes de la base sont conservées trente jours dans le stockage objet.",
    "VACUUM reclaims storage occupied by dead tuples. " * 20,
    "Streaming replication ships the write-ahead log from the primary to standby servers.",
    "Émoji ✓, accents é, CJK 数据库 and numbers 3.14159 all tokenize.",
]


@pytest.fixture(scope="module")
def embedder() -> Iterator[MiniLmOnnxEmbedder]:
    yield MiniLmOnnxEmbedder(batch_size=3)  # small batches so several texts share a padded batch


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))  # vectors are unit length


async def test_vectors_have_384_dimensions_and_the_model_name(embedder: MiniLmOnnxEmbedder) -> None:
    vectors = await embedder.embed_documents(["one passage", "another passage"])
    assert embedder.model_name == "all-MiniLM-L6-v2-int8"
    assert embedder.dimension == 384
    assert [len(v) for v in vectors] == [384, 384]


async def test_every_vector_has_unit_length_even_for_empty_text(embedder: MiniLmOnnxEmbedder) -> None:
    vectors = np.asarray(await embedder.embed_documents(VARIED_TEXTS))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


async def test_the_same_text_always_gets_the_same_vector(embedder: MiniLmOnnxEmbedder) -> None:
    first = await embedder.embed_documents(VARIED_TEXTS)
    second = await embedder.embed_documents(VARIED_TEXTS)
    assert first == second


async def test_batched_vectors_match_one_at_a_time_vectors_in_input_order(embedder: MiniLmOnnxEmbedder) -> None:
    batched = np.asarray(await embedder.embed_documents(VARIED_TEXTS))
    single = np.asarray([await embedder.embed_query(text) for text in VARIED_TEXTS])
    np.testing.assert_allclose(batched, single, atol=1e-5)


async def test_a_query_is_embedded_like_a_passage(embedder: MiniLmOnnxEmbedder) -> None:
    text = "How do I back up a PostgreSQL database?"
    assert await embedder.embed_query(text) == (await embedder.embed_documents([text]))[0]


async def test_long_text_is_truncated_to_the_window_instead_of_failing(embedder: MiniLmOnnxEmbedder) -> None:
    long_text = "The planner estimates the cost of each plan from table statistics. " * 300
    longer_text = long_text * 2
    assert embedder.token_counter().count_tokens(long_text) > 3000
    vectors = await embedder.embed_documents([long_text, longer_text])
    # Both are cut to the same first 256 tokens, so they embed identically.
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-5)


async def test_a_paraphrase_is_closer_than_an_unrelated_sentence_in_english(embedder: MiniLmOnnxEmbedder) -> None:
    query, paraphrase, unrelated = await embedder.embed_documents(
        ["How do I back up a PostgreSQL database?", "pg_dump creates a backup of a database", "The cat sat on the mat"]
    )
    assert cosine(query, paraphrase) > cosine(query, unrelated) + 0.3


async def test_a_paraphrase_is_closer_than_an_unrelated_sentence_in_french(embedder: MiniLmOnnxEmbedder) -> None:
    query, paraphrase, unrelated = await embedder.embed_documents(
        [
            "Comment sauvegarder une base de données PostgreSQL ?",
            "pg_dump crée une sauvegarde de la base de données",
            "Le chat dort sur le canapé du salon",
        ]
    )
    assert cosine(query, paraphrase) > cosine(query, unrelated) + 0.1


async def test_an_empty_list_gives_an_empty_list(embedder: MiniLmOnnxEmbedder) -> None:
    assert await embedder.embed_documents([]) == []


async def test_concurrent_calls_share_the_session_and_agree_with_sequential_ones(
    embedder: MiniLmOnnxEmbedder,
) -> None:
    expected = await embedder.embed_documents(VARIED_TEXTS)
    results: dict[int, list[list[float]]] = {}

    async def run(slot: int) -> None:
        results[slot] = await embedder.embed_documents(VARIED_TEXTS)

    async with anyio.create_task_group() as tg:
        for slot in range(4):
            tg.start_soon(run, slot)
    for vectors in results.values():
        np.testing.assert_allclose(vectors, expected, atol=1e-6)


def test_the_token_counter_leaves_room_for_cls_and_sep(embedder: MiniLmOnnxEmbedder) -> None:
    counter = embedder.token_counter()
    assert counter.max_tokens == 254
    assert counter.count_tokens("pg_dump creates a backup") == len(
        embedder.tokenizer.encode("pg_dump creates a backup", add_special_tokens=False).ids
    )


def test_a_missing_model_file_is_a_clear_embedding_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingUnavailable, match="cannot load the embedding model"):
        MiniLmOnnxEmbedder(model_path=tmp_path / "missing.onnx")
