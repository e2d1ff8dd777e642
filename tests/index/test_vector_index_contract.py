"""One contract for every vector index engine: qdrant-edge and qdrant-client local mode must behave the same."""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from aurora_mcp.config import AppSettings, IndexEngine, IndexSettings
from aurora_mcp.errors import DimensionMismatch, EngineBusy, InvalidInput
from aurora_mcp.index.base import (
    ChunkPoint,
    HybridQuery,
    IndexFilter,
    SearchMode,
    SparseVector,
    VectorIndex,
    point_id,
)
from aurora_mcp.index.edge import EdgeVectorIndex
from aurora_mcp.index.factory import create_vector_index
from aurora_mcp.index.qdrant_client_index import QdrantClientIndex

pytestmark = pytest.mark.anyio

DIM = 8
ENGINES: dict[str, Callable[[Path], VectorIndex]] = {
    "edge": lambda root: EdgeVectorIndex(root / "edge", "docs"),
    "local": lambda root: QdrantClientIndex("docs", path=root / "local"),
}


def unit(*weights: float) -> list[float]:
    """A unit vector from its first coordinates (the rest are zero)."""
    v = [*weights, *[0.0] * (DIM - len(weights))]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def e(i: int) -> list[float]:
    return [1.0 if j == i else 0.0 for j in range(DIM)]


def terms(*ids: int) -> SparseVector:
    return SparseVector(indices=list(ids), values=[1.0] * len(ids))


def doc_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Tenant:
    """A fresh tenant per test: tests share one index per engine, and the tenant rule keeps them apart."""

    id: str = field(default_factory=lambda: f"tenant-{uuid.uuid4().hex[:8]}")

    def chunk(self, doc: str, i: int, dense: list[float], sparse: SparseVector, **payload: Any) -> ChunkPoint:
        fields = {"tenant_id": self.id, "document_id": doc, "chunk_index": i, "text": f"{doc}#{i}", **payload}
        return ChunkPoint(id=point_id(doc, i), dense=dense, sparse=sparse, payload=fields)

    def filter(self, **fields: Any) -> IndexFilter:
        return IndexFilter(tenant_id=self.id, **fields)

    def ask(self, dense: list[float], sparse: SparseVector, **options: Any) -> HybridQuery:
        fields = {k: options.pop(k) for k in list(options) if k in IndexFilter.model_fields}
        return HybridQuery(dense=dense, sparse=sparse, filter=self.filter(**fields), **options)


@pytest.fixture(scope="module", params=list(ENGINES))
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
async def index(engine: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[VectorIndex]:
    # One index per engine for the module: creating a collection costs ~2 s on edge (a synced write per payload
    # index), and fresh tenants isolate the tests as well as fresh folders would.
    idx = ENGINES[engine](tmp_path_factory.mktemp(engine))
    await idx.ensure_collection(DIM)
    yield idx
    await idx.close()


@pytest.fixture
def a() -> Tenant:
    return Tenant()


@pytest.fixture
def b() -> Tenant:
    return Tenant()


async def test_ensure_collection_is_idempotent_and_reopening_keeps_the_points(engine: str, tmp_path: Path) -> None:
    a = Tenant()
    idx = ENGINES[engine](tmp_path)
    await idx.ensure_collection(DIM)
    await idx.ensure_collection(DIM)
    await idx.upsert([a.chunk(doc_id(), 0, e(0), terms(1))])
    await idx.ensure_collection(DIM)
    await idx.close()
    again = ENGINES[engine](tmp_path)
    await again.ensure_collection(DIM)
    assert await again.count(a.filter()) == 1
    assert "docs" in await again.ping()
    await again.close()


async def test_a_dimension_mismatch_is_refused_with_the_fix_in_the_message(engine: str, tmp_path: Path) -> None:
    idx = ENGINES[engine](tmp_path)
    await idx.ensure_collection(DIM)
    with pytest.raises(DimensionMismatch, match="AURORA_COLLECTION"):
        await idx.ensure_collection(DIM + 1)
    with pytest.raises(DimensionMismatch, match="ingest the documents again"):
        await idx.upsert([Tenant().chunk(doc_id(), 0, unit(*[1.0] * (DIM + 1)), terms(1))])
    await idx.close()
    reopened = ENGINES[engine](tmp_path)
    with pytest.raises(DimensionMismatch, match=r"8-d .* 16-d .*AURORA_COLLECTION.*ingest the documents again"):
        await reopened.ensure_collection(16)
    await reopened.close()


async def test_a_second_index_on_the_same_folder_is_refused_as_busy(engine: str, tmp_path: Path) -> None:
    first = ENGINES[engine](tmp_path)
    await first.ensure_collection(DIM)
    second = ENGINES[engine](tmp_path)
    with pytest.raises(EngineBusy, match="another process"):
        await second.ensure_collection(DIM)
    await second.close()
    await first.close()


async def test_each_mode_returns_the_expected_best_hit(index: VectorIndex, a: Tenant) -> None:
    semantic, lexical, other = doc_id(), doc_id(), doc_id()
    await index.upsert(
        [a.chunk(semantic, 0, e(0), terms(7)), a.chunk(lexical, 0, e(1), terms(3)), a.chunk(other, 0, e(2), terms(4))]
    )
    q_dense, q_sparse = unit(1, 0.2), terms(3)
    hits = await index.query(a.ask(q_dense, q_sparse, mode=SearchMode.DENSE, k=3))
    assert [h.payload["document_id"] for h in hits] == [semantic, lexical, other]
    hits = await index.query(a.ask(q_dense, q_sparse, mode=SearchMode.SPARSE, k=3))
    assert [h.payload["document_id"] for h in hits] == [lexical]  # only it shares a term
    hits = await index.query(a.ask(q_dense, q_sparse, mode=SearchMode.HYBRID, k=3))
    assert hits[0].payload["document_id"] == lexical  # second in dense, first in sparse: RRF puts it on top
    assert hits[0].id == point_id(lexical, 0) and hits[0].payload["text"] == f"{lexical}#0"


# fmt: off
DOCS = {  # the filter corpus of tenant a; tenant b holds a copy of d1 under its own document id
    "d1": dict(project="atlas", workspace="w1", tags=["hr", "policy"], source_app="mail", sensitivity="internal",
               lang="en", file_ext="pdf", created_at_epoch=1000, updated_at_epoch=5000),
    "d2": dict(project="atlas", workspace="w2", tags=["hr"], source_app="drive", sensitivity="public",
               lang="fr", file_ext="docx", created_at_epoch=2000, updated_at_epoch=6000),
    "d3": dict(project="zephyr", workspace="w1", tags=["policy", "finance"], source_app="mail", sensitivity="secret",
               lang="en", file_ext="md", created_at_epoch=3000, updated_at_epoch=7000),
    "d4": dict(project="zephyr", workspace="w3", tags=[], source_app="slack", sensitivity="public",
               lang="de", file_ext="pdf", created_at_epoch=4000, updated_at_epoch=8000),
}
# fmt: on
FILTER_CASES = [
    ({"project": ["atlas"]}, {"d1", "d2"}),
    ({"workspace": ["w1", "w9"]}, {"d1", "d3"}),
    ({"tags_any": ["finance", "hr"]}, {"d1", "d2", "d3"}),
    ({"tags_all": ["hr", "policy"]}, {"d1"}),
    ({"source_app": ["mail"]}, {"d1", "d3"}),
    ({"sensitivity": ["public"]}, {"d2", "d4"}),
    ({"lang": ["en"]}, {"d1", "d3"}),
    ({"file_ext": ["pdf"]}, {"d1", "d4"}),
    ({"document_ids": ["d2", "d4"]}, {"d2", "d4"}),
    ({"created_from_ms": 2000, "created_to_ms": 3000}, {"d2", "d3"}),
    ({"created_from_ms": 3000}, {"d3", "d4"}),
    ({"updated_to_ms": 6000}, {"d1", "d2"}),
    ({"updated_from_ms": 6500, "updated_to_ms": 7500}, {"d3"}),
    ({"project": ["atlas"], "lang": ["en"]}, {"d1"}),
]


@pytest.fixture
async def corpus(index: VectorIndex, a: Tenant, b: Tenant) -> dict[str, str]:
    """Names → document ids: d1..d4 of tenant a (two chunks each), b1 of tenant b (d1's payload, two chunks)."""
    ids = {name: doc_id() for name in [*DOCS, "b1"]}
    points = [
        a.chunk(ids[name], i, unit(1, 0.1 * n + 0.05 * i), terms(1, 10 + n), **fields)
        for n, (name, fields) in enumerate(DOCS.items())
        for i in range(2)
    ]
    points += [b.chunk(ids["b1"], i, unit(1, 0.01 * i), terms(1, 10), **DOCS["d1"]) for i in range(2)]
    await index.upsert(points)
    return ids


@pytest.mark.parametrize(
    ("filters", "expected"), FILTER_CASES, ids=lambda v: "+".join(v) if isinstance(v, dict) else ""
)
async def test_every_filter_field_is_respected(
    index: VectorIndex, corpus: dict[str, str], a: Tenant, filters: dict[str, Any], expected: set[str]
) -> None:
    if "document_ids" in filters:
        filters = {"document_ids": [corpus[name] for name in filters["document_ids"]]}
    by_id = {v: k for k, v in corpus.items()}
    for mode in SearchMode:
        hits = await index.query(a.ask(unit(1), terms(1), mode=mode, k=20, fetch_k=20, **filters))
        assert {by_id[h.payload["document_id"]] for h in hits} == expected, mode
    assert await index.count(a.filter(**filters)) == 2 * len(expected)


async def test_another_tenant_never_sees_a_tenants_points(
    index: VectorIndex, corpus: dict[str, str], a: Tenant, b: Tenant
) -> None:
    a_docs = [corpus[name] for name in DOCS]
    for mode in SearchMode:
        hits = await index.query(b.ask(unit(1), terms(1, 10), mode=mode, k=20, document_ids=a_docs))
        assert hits == []
        hits = await index.query(b.ask(unit(1), terms(1, 10), mode=mode, k=20, mmr_lambda=0.5, project=["atlas"]))
        assert {(h.payload["tenant_id"], h.payload["document_id"]) for h in hits} == {(b.id, corpus["b1"])}
    assert await index.count(b.filter(document_ids=a_docs)) == 0
    assert await index.scroll_document(b.id, corpus["d1"]) == []
    await index.delete_document(b.id, corpus["d1"])
    await index.delete_tenant(b.id)
    assert await index.count(a.filter()) == 8
    assert await index.count(b.filter()) == 0


@pytest.mark.parametrize(
    "bad",
    [{"tenant_id": " "}, {"project": []}, {"tags_all": [""]}, {"created_from_ms": 5, "created_to_ms": 4}],
    ids=["blank-tenant", "empty-list", "blank-value", "inverted-range"],
)
async def test_malformed_filters_are_refused(index: VectorIndex, a: Tenant, bad: dict[str, Any]) -> None:
    flt = IndexFilter(**{"tenant_id": a.id, **bad})
    with pytest.raises(InvalidInput):
        await index.count(flt)
    with pytest.raises(InvalidInput):
        await index.query(HybridQuery(dense=e(0), sparse=terms(1), filter=flt))


async def test_delete_document_removes_exactly_that_documents_points(
    index: VectorIndex, corpus: dict[str, str], a: Tenant, b: Tenant
) -> None:
    await index.delete_document(a.id, corpus["d2"])
    assert await index.count(a.filter(document_ids=[corpus["d2"]])) == 0
    assert await index.count(a.filter()) == 6
    assert await index.count(b.filter()) == 2


async def test_delete_tenant_removes_only_that_tenant(
    index: VectorIndex, corpus: dict[str, str], a: Tenant, b: Tenant
) -> None:
    await index.delete_tenant(a.id)
    assert await index.count(a.filter()) == 0
    assert await index.count(b.filter()) == 2


async def test_scroll_document_returns_chunks_in_order_within_the_range(index: VectorIndex, a: Tenant) -> None:
    doc, n = doc_id(), 300  # more than one engine page
    order = [(i * 7919) % n for i in range(n)]  # a permutation, so insertion order differs from chunk order
    await index.upsert([a.chunk(doc, i, unit(1, i / n), terms(i + 1)) for i in order])
    await index.upsert([a.chunk(doc_id(), 0, e(1), terms(1))])
    assert [h.payload["chunk_index"] for h in await index.scroll_document(a.id, doc)] == list(range(n))
    window = await index.scroll_document(a.id, doc, chunk_from=3, chunk_to=6)
    assert [h.payload["chunk_index"] for h in window] == [3, 4, 5, 6]
    assert [h.payload["chunk_index"] for h in await index.scroll_document(a.id, doc, chunk_from=298)] == [298, 299]


async def test_upserting_the_same_ids_replaces_the_points(index: VectorIndex, a: Tenant) -> None:
    doc = doc_id()
    await index.upsert([a.chunk(doc, i, e(0), terms(1), version=1) for i in range(3)])
    await index.upsert([a.chunk(doc, i, e(1), terms(2), version=2) for i in range(3)])
    assert await index.count(a.filter()) == 3
    assert {h.payload["version"] for h in await index.scroll_document(a.id, doc)} == {2}
    assert len(await index.query(a.ask(e(1), terms(2), mode=SearchMode.SPARSE, k=5))) == 3
    assert await index.query(a.ask(e(1), terms(1), mode=SearchMode.SPARSE, k=5)) == []  # old terms are gone


@pytest.mark.parametrize("mode", list(SearchMode))
async def test_mmr_trades_near_duplicates_for_distinct_relevant_points(
    index: VectorIndex, a: Tenant, mode: SearchMode
) -> None:
    # Five near-duplicates closest to the query in both spaces (dense cos 0.894, two shared terms), three distinct
    # points a little further (cos 0.857, one shared term) and far from the duplicates (cos 0.767).
    dups = [a.chunk(doc_id(), 0, unit(1, 0.5, 0, 0, 0, 0.001 * i), terms(1, 2), kind="dup") for i in range(5)]
    distinct = [a.chunk(doc_id(), 0, unit(1, *[0.0] * (j - 1), 0.6), terms(1), kind="distinct") for j in (2, 3, 4)]
    await index.upsert(dups + distinct)

    async def near_duplicates(mmr_lambda: float | None) -> int:
        hits = await index.query(a.ask(e(0), terms(1, 2), mode=mode, k=4, fetch_k=8, mmr_lambda=mmr_lambda))
        assert len(hits) == 4
        return sum(h.payload["kind"] == "dup" for h in hits)

    without = await near_duplicates(None)
    assert without == 4
    assert await near_duplicates(1.0) == 4  # lambda 1 = pure relevance: MMR keeps the duplicates
    # Dense mode runs the engine's MMR (relevance = cosine); hybrid and sparse keep their own ranking as relevance
    # (index/mmr.py), whose RRF and BM25 scores put the duplicates well above the rest (each engine scales RRF its
    # own way), so it takes a lower lambda to trade them away.
    diverse = 0.5 if mode is SearchMode.DENSE else 0.1
    assert await near_duplicates(0.7) <= without
    assert await near_duplicates(diverse) == 1


async def test_rrf_weights_shift_the_ranking_toward_the_heavier_side(index: VectorIndex, a: Tenant) -> None:
    # Dense list (fetch 3): semantic, f1, f2. Sparse list: lexical only. Equal weights would tie the two leaders.
    semantic, lexical = doc_id(), doc_id()
    await index.upsert(
        [
            a.chunk(semantic, 0, e(0), terms(9)),
            a.chunk(doc_id(), 0, unit(1, 0.5), terms(8)),
            a.chunk(doc_id(), 0, unit(1, 1), terms(8)),
            a.chunk(lexical, 0, e(3), terms(5)),
        ]
    )

    async def top(dense_weight: float, sparse_weight: float) -> str:
        query = a.ask(e(0), terms(5), k=2, fetch_k=3, dense_weight=dense_weight, sparse_weight=sparse_weight)
        return (await index.query(query))[0].payload["document_id"]

    assert await top(3.0, 1.0) == semantic
    assert await top(1.0, 3.0) == lexical


async def test_optimize_keeps_results_and_malformed_points_are_refused(index: VectorIndex, a: Tenant) -> None:
    doc = doc_id()
    await index.upsert([a.chunk(doc, i, unit(1, i), terms(i + 1)) for i in range(20)])
    before = await index.query(a.ask(unit(1, 3), terms(4), k=5))
    await index.optimize()
    assert [h.id for h in await index.query(a.ask(unit(1, 3), terms(4), k=5))] == [h.id for h in before]
    bad = a.chunk(doc, 0, e(0), terms(1))
    bad.payload.pop("tenant_id")
    with pytest.raises(InvalidInput, match="tenant_id"):
        await index.upsert([bad])
    with pytest.raises(InvalidInput, match="UUID"):
        await index.upsert([a.chunk(doc, 0, e(0), terms(1)).model_copy(update={"id": "chunk-0"})])


async def test_the_factory_builds_the_configured_engine_without_opening_it(tmp_path: Path) -> None:
    for engine, url, kind in [
        (IndexEngine.EDGE, None, EdgeVectorIndex),
        (IndexEngine.LOCAL, None, QdrantClientIndex),
        (IndexEngine.SERVER, "http://qdrant.invalid:6333", QdrantClientIndex),
    ]:
        settings = AppSettings(home=tmp_path, index=IndexSettings(qdrant_engine=engine, qdrant_url=url))
        assert isinstance(create_vector_index(settings), kind)
    assert not (tmp_path / "qdrant").exists()
    bogus = IndexSettings.model_construct(qdrant_engine="bogus", qdrant_url=None, qdrant_api_key=None)
    with pytest.raises(ValueError, match="unsupported index engine: bogus"):
        create_vector_index(AppSettings(home=tmp_path, index=bogus))
