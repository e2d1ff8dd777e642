"""The TEST-ONLY hashing embedder other layers' unit tests rely on."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fixtures.embedders import HashingTestEmbedder

pytestmark = pytest.mark.anyio


async def test_vectors_are_unit_length_deterministic_and_sized_as_asked() -> None:
    embedder = HashingTestEmbedder(dimension=32)
    vectors = await embedder.embed_documents(["pg_dump backup", "", "pg_dump backup"])
    assert [len(v) for v in vectors] == [32, 32, 32]
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert vectors[0] == vectors[2] == await embedder.embed_query("PG_DUMP backup")


async def test_shared_words_score_higher_than_no_shared_words() -> None:
    embedder = HashingTestEmbedder(dimension=256)
    query, related, unrelated = await embedder.embed_documents(
        ["backup the database", "database backup with pg_dump", "the cat sat on the mat"]
    )
    assert np.dot(query, related) > np.dot(query, unrelated)
