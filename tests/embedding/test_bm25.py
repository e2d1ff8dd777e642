"""The BM25 sparse encoder: folding, stopwords, stemming, stable ids, weighting, and retrieval on a FR/EN micro-set."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import Counter

import pytest

from aurora_mcp.embedding.bm25 import Bm25SparseEncoder, detect_language, term_id
from aurora_mcp.index.base import SparseVector
from tests.embedding.bm25_microset import PASSAGES, QUERIES


@pytest.fixture(scope="module")
def encoder() -> Bm25SparseEncoder:
    return Bm25SparseEncoder()


def ids(vector: SparseVector) -> set[int]:
    return set(vector.indices)


def test_accents_and_case_are_folded_so_elephant_matches_elephant(encoder: Bm25SparseEncoder) -> None:
    assert encoder.encode_query("Éléphant") == encoder.encode_query("elephant")
    assert encoder.encode_query("ÉLÉPHANT") == encoder.encode_query("éléphant")


def test_english_stopwords_are_dropped(encoder: Bm25SparseEncoder) -> None:
    assert encoder.encode_query("the and of which is") == SparseVector(indices=[], values=[])
    assert encoder.encode_query("the elephant of the zoo") == encoder.encode_query("elephant zoo")


def test_french_stopwords_and_elided_articles_are_dropped(encoder: Bm25SparseEncoder) -> None:
    assert encoder.encode_query("le la les des qu'il d'une été") == SparseVector(indices=[], values=[])
    assert encoder.encode_query("l'éléphant de la base") == encoder.encode_query("éléphant base")


def test_inflected_forms_share_a_stem_id(encoder: Bm25SparseEncoder) -> None:
    assert ids(encoder.encode_query("indexes")) & ids(encoder.encode_query("indexing"))
    assert ids(encoder.encode_query("sauvegardes")) & ids(encoder.encode_query("sauvegarder"))
    # With or without accents, a French participle meets its verb.
    assert ids(encoder.encode_query("supprimées")) & ids(encoder.encode_query("supprimer"))
    assert ids(encoder.encode_query("supprimees")) & ids(encoder.encode_query("supprimées"))


def test_identifiers_are_kept_whole_and_their_parts_also_match(encoder: Bm25SparseEncoder) -> None:
    document = encoder.encode_document("Run pg_dump every night.")
    assert term_id("pg_dump") in ids(document)
    assert ids(encoder.encode_query("dump")) <= ids(document)
    assert ids(encoder.encode_query("pg_dump")) <= ids(document)
    assert term_id("pg_dump") not in ids(encoder.encode_document("pg dump"))


def test_numbers_are_kept_and_hashes_are_dropped(encoder: Bm25SparseEncoder) -> None:
    assert encoder.encode_query("PostgreSQL 15").indices != encoder.encode_query("PostgreSQL 16").indices
    assert encoder.encode_query("a" * 64) == SparseVector(indices=[], values=[])


def test_term_ids_are_identical_in_another_process(encoder: Bm25SparseEncoder) -> None:
    text = "Les sauvegardes de pg_dump indexing Éléphant 2024"
    code = (
        "import json; from aurora_mcp.embedding.bm25 import Bm25SparseEncoder; "
        f"print(json.dumps(Bm25SparseEncoder().encode_document({text!r}).model_dump()))"
    )
    # A different hash seed proves nothing depends on Python's salted hash().
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert json.loads(out) == encoder.encode_document(text).model_dump()


def test_ids_are_unsigned_32_bit_sorted_and_unique(encoder: Bm25SparseEncoder) -> None:
    vector = encoder.encode_document(PASSAGES["fr-migration"] + " " + PASSAGES["en-backup"])
    assert vector.indices == sorted(set(vector.indices))
    assert all(0 <= i < 2**32 for i in vector.indices)
    assert len(vector.values) == len(vector.indices)


def test_query_values_are_one_per_unique_term(encoder: Bm25SparseEncoder) -> None:
    vector = encoder.encode_query("backup backup backups restore")
    assert set(vector.values) == {1.0}
    assert len(vector.indices) == len(set(vector.indices))


def test_document_values_saturate_with_term_frequency_and_shrink_with_length() -> None:
    word = term_id("backup")
    encoder = Bm25SparseEncoder(k1=1.2, b=0.75, avg_doc_length=10)

    def value(text: str) -> float:
        vector = encoder.encode_document(text)
        return dict(zip(vector.indices, vector.values, strict=True))[word]

    filler = " ".join(f"word{i}" for i in range(9))
    assert value(f"backup {filler}") == pytest.approx(1.0)  # tf 1 at the average length: (k1+1)/(1+k1)
    once, twice, many = value("backup"), value("backup " * 2), value("backup " * 50)
    assert once < twice < many < 2.2  # saturates below k1 + 1
    assert value(f"backup {filler} {filler}") < value(f"backup {filler}")


def test_query_terms_overlap_the_passage_they_paraphrase(encoder: Bm25SparseEncoder) -> None:
    document = encoder.encode_document("PostgreSQL indexes speed up queries that filter on a column.")
    for word in ["indexing", "speeds", "query", "filtering"]:
        assert ids(encoder.encode_query(word)) & ids(document), word
    assert not ids(encoder.encode_query("replication backup")) & ids(document)


def test_an_empty_text_gives_an_empty_vector(encoder: Bm25SparseEncoder) -> None:
    assert encoder.encode_documents(["", "  ", "!?"]) == [SparseVector(indices=[], values=[])] * 3


def test_language_is_detected_from_stopwords_and_left_open_when_unsure() -> None:
    assert detect_language(PASSAGES["fr-sauvegarde"]) == "fr"
    assert detect_language(PASSAGES["en-replication"]) == "en"
    assert detect_language("Est-ce que les données sont chiffrées sur le disque ?") == "fr"
    assert detect_language("pg_dump backup nightly") is None
    assert detect_language("") is None


def idf_scores(encoder: Bm25SparseEncoder, query: str) -> list[tuple[float, str]]:
    """Dot products with Qdrant's IDF modifier applied: ln(1 + (N - n + 0.5) / (n + 0.5))."""
    documents = {pid: encoder.encode_document(text) for pid, text in PASSAGES.items()}
    frequency = Counter(i for vector in documents.values() for i in vector.indices)
    n = len(documents)
    query_vector = encoder.encode_query(query)
    scores = []
    for pid, vector in documents.items():
        weights = dict(zip(vector.indices, vector.values, strict=True))
        score = sum(
            math.log(1 + (n - frequency[i] + 0.5) / (frequency[i] + 0.5)) * weights[i]
            for i in query_vector.indices
            if i in weights
        )
        scores.append((score, pid))
    return sorted(scores, reverse=True)


def test_every_micro_set_query_ranks_its_passage_first(encoder: Bm25SparseEncoder) -> None:
    top = {query: idf_scores(encoder, query)[0][1] for query, _ in QUERIES}
    misses = [(query, top[query]) for query, wanted in QUERIES if top[query] != wanted]
    assert misses == []


def test_most_query_words_meet_a_term_of_their_passage(encoder: Bm25SparseEncoder) -> None:
    met = total = 0
    for query, wanted in QUERIES:
        passage = ids(encoder.encode_document(PASSAGES[wanted]))
        for word in query.replace("'", " ").split():
            word_ids = ids(encoder.encode_query(word))
            if word_ids:
                total += 1
                met += bool(word_ids & passage)
    # 78 of 89 when measured (see the table in bm25.py); the rest are words the passage does not contain.
    assert met / total >= 0.85
