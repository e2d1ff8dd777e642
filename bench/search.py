"""Search latency: p50/p95 of `RetrievalService.search` under a tenant filter, edge engine vs qdrant-client local.

    python -m bench.search [--sizes 10000,100000] [--engines edge,local] [--queries 200] [--local-queries 60] [--reuse]

The collection is filled SYNTHETICALLY, not by ingesting through docling: real manual paragraphs embedded with the
product's MiniLM (ONNX) and BM25 encoders, re-used with a small random perturbation of the dense vector once the
~22k real paragraphs run out, written through the index API (`VectorIndex.upsert`) with document rows created
through the product's repository (search drops hits whose document row is not live). The searched tenant holds
N chunks; a second tenant holds N/10 more, so the tenant filter has something to exclude.

Time is split by wrapping the service's collaborators in timing proxies: the embedder (query embedding), the
vector index (the Qdrant query) and the document repository (the live-ids check in Postgres); "other" is the rest
(sparse encoding, citations, query-log hand-off).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections import defaultdict
from typing import Any

import anyio
import numpy as np

from bench.harness import DATA_DIR, Report, open_aurora, percentile, reset_home, table
from bench.manual import read_manual

CACHE = DATA_DIR / "search" / "passages.npz"
TENANT, OTHER_TENANT = "bench-search", "bench-search-other"
CHUNKS_PER_DOC = 50


def passages(min_words: int = 12, max_words: int = 180) -> list[str]:
    """Paragraphs of the manual (code blocks included), long ones cut at `max_words`."""
    out = []
    for section in read_manual().sections.values():
        for _, text in section.blocks:
            words = text.split()
            for start in range(0, len(words), max_words):
                piece = words[start : start + max_words]
                if len(piece) >= min_words:
                    out.append(f"{section.heading}\n{' '.join(piece)}")
    return out


def embedded_passages(embedder: Any) -> tuple[list[str], np.ndarray]:
    """Passages and their MiniLM vectors, computed once and cached in bench/data/search/."""
    if CACHE.exists():
        data = np.load(CACHE, allow_pickle=False)
        return [str(t) for t in data["texts"]], data["vectors"]
    texts = passages()
    started = time.perf_counter()
    vectors = embedder.embed_sync(texts)
    print(f"  embedded {len(texts)} passages in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE, texts=np.array(texts), vectors=vectors)
    return texts, vectors


class Timed:
    """A proxy that times the named coroutine methods of the object it wraps; other attributes pass through."""

    def __init__(self, inner: Any, methods: tuple[str, ...], sink: dict[str, float]) -> None:
        self._inner, self._methods, self._sink = inner, methods, sink

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in self._methods:
            return attr

        async def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await attr(*args, **kwargs)
            finally:
                self._sink[name] = self._sink.get(name, 0.0) + time.perf_counter() - t0

        return timed


async def populate(app: Any, n: int, texts: list[str], vectors: np.ndarray, tenant_id: str, seed: int) -> float:
    """Write n synthetic chunks (and their document rows) for one tenant; seconds taken."""
    from aurora_mcp.db.repositories.documents import DocumentRepository
    from aurora_mcp.embedding.bm25 import Bm25SparseEncoder
    from aurora_mcp.index.base import ChunkPoint, SparseVector, point_id

    repo, encoder = DocumentRepository(), Bm25SparseEncoder()
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    batch: list[ChunkPoint] = []
    doc_id, base = "", {}
    for i in range(n):
        if i % CHUNKS_PER_DOC == 0:
            doc, _ = await repo.create_or_get(
                app.pool, tenant_id, checksum=hashlib.sha256(f"{tenant_id}-{seed}-{i}".encode()).hexdigest(),
                filename=f"synthetic-{i // CHUNKS_PER_DOC}.html", title=f"Synthetic document {i // CHUNKS_PER_DOC}",
                file_ext="html", project="synthetic",
            )
            doc_id = str(doc.id)
            await repo.set_status(app.pool, tenant_id, doc_id, "indexed")
            base = await repo.metadata_base(app.pool, tenant_id, doc_id)
        j = i % len(texts)
        dense = vectors[j]
        if i >= len(texts):  # a re-used paragraph: nudge its vector so no two points are identical
            dense = dense + rng.normal(0.0, 0.02, dense.shape).astype(np.float32)
            dense = dense / np.linalg.norm(dense)
        sparse = encoder.encode_document(texts[j])
        batch.append(ChunkPoint(
            id=point_id(doc_id, i % CHUNKS_PER_DOC), dense=dense.tolist(),
            sparse=SparseVector(indices=sparse.indices, values=sparse.values),
            payload={**base, "tenant_id": tenant_id, "document_id": doc_id, "chunk_index": i % CHUNKS_PER_DOC,
                     "text": texts[j], "heading_path": [texts[j].split("\n", 1)[0]], "section_id": None,
                     "section_title": None, "pages": []},
        ))
        if len(batch) == 1024:
            await app.index.upsert(batch)
            batch = []
    if batch:
        await app.index.upsert(batch)
    optimize = getattr(app.index, "optimize", None)
    if optimize is not None:  # edge: build HNSW / sparse indexes now, as the ingest service does after each file
        await optimize()
    return time.perf_counter() - started


async def measure(app: Any, scope: Any, queries: list[str], mode: str, mmr: bool, warmup: int = 10) -> dict[str, Any]:
    from aurora_mcp.retrieval.models import DEFAULT_MMR_LAMBDA, SearchRequest

    service = app.retrieval
    sink: dict[str, float] = {}
    inner = (service._embedder, service._index, service._documents)
    service._embedder = Timed(inner[0], ("embed_query",), sink)
    service._index = Timed(inner[1], ("query",), sink)
    service._documents = Timed(inner[2], ("live_ids",), sink)
    lat: list[float] = []
    parts: dict[str, list[float]] = defaultdict(list)
    try:
        for n, q in enumerate(queries):
            request = SearchRequest(query=q, mode=mode, mmr_lambda=DEFAULT_MMR_LAMBDA if mmr else None)
            sink.clear()
            t0 = time.perf_counter()
            await service.search(scope, request)
            elapsed = time.perf_counter() - t0
            if n < warmup:  # first-call costs (sessions, caches) are not steady-state latency
                continue
            lat.append(elapsed)
            for key in ("embed_query", "query", "live_ids"):
                parts[key].append(sink.get(key, 0.0))
    finally:
        service._embedder, service._index, service._documents = inner
    total = sum(lat)
    share = {k: sum(v) / total for k, v in parts.items()}
    return {"p50": percentile(lat, 50), "p95": percentile(lat, 95), "share": share, "n": len(lat)}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,100000", help="chunks in the searched tenant")
    p.add_argument("--engines", default="edge,local")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--local-queries", type=int, default=60, help="fewer for qdrant-client local mode (slow scans)")
    p.add_argument("--reuse", action="store_true", help="keep collections built by a previous run")
    return p.parse_args(argv)


def _queries(n: int) -> list[str]:
    from bench.quality_dataset import load_dataset
    from bench.questions import QUESTIONS

    questions = [q for q, _ in QUESTIONS]
    dataset_file = DATA_DIR / "quality" / "dataset.json"
    terms = [q.text for q in load_dataset(dataset_file).sample(n, seed=1)] if dataset_file.exists() else []
    mixed = [x for pair in zip(terms, questions * (len(terms) // len(questions) + 1), strict=False) for x in pair]
    return ((mixed or questions) * (n // max(1, len(mixed or questions)) + 1))[: n + 10]


async def main(argv: list[str]) -> None:
    args = parse_args(argv)
    report = Report("search", argv)
    report.say("Collections are SYNTHETIC: real manual paragraphs embedded with the product's MiniLM and BM25, "
               "re-used with a perturbed dense vector past ~22k, written through VectorIndex.upsert.\n")
    queries = _queries(args.queries)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        home = DATA_DIR / f"search-home-{size}"
        if not args.reuse:
            reset_home(home)
        for engine in args.engines.split(","):
            async with open_aurora(home, engine=engine) as app:
                scope = await app.scope(TENANT, caller_app="bench")
                other = await app.scope(OTHER_TENANT, caller_app="bench")
                from aurora_mcp.index.base import IndexFilter

                have = await app.index.count(IndexFilter(tenant_id=scope.tenant_id))
                if have < size:
                    texts, vectors = embedded_passages(app.embedder)
                    secs = await populate(app, size, texts, vectors, scope.tenant_id, seed=0)
                    secs += await populate(app, size // 10, texts, vectors, other.tenant_id, seed=1)
                    report.say(f"{engine} {size}: wrote {size + size // 10} points in {secs:.0f} s "
                               f"({(size + size // 10) / secs:.0f} points/s)")
                # Throwaway pass: the first queries of a process pay for ONNX arenas and caches on top of the
                # per-mode warm-up, which otherwise inflates whichever mode is measured first.
                await measure(app, scope, queries[:50], "hybrid", True, warmup=0)
                requests = (("hybrid + MMR (default)", "hybrid", True), ("hybrid, no MMR", "hybrid", False),
                            ("dense", "dense", False), ("BM25", "sparse", False))
                for label, mode, mmr in requests:
                    n = args.queries if engine != "local" else min(args.queries, args.local_queries)
                    warmup = 10 if engine != "local" else 2
                    m = await measure(app, scope, queries[: n + warmup], mode, mmr, warmup)
                    s = m["share"]
                    other_share = 1 - sum(s.values())
                    rows.append((f"{size:,}", engine, label, m["n"], f"{m['p50'] * 1000:.1f}", f"{m['p95'] * 1000:.1f}",
                                 f"{100 * s.get('embed_query', 0):.0f}%", f"{100 * s.get('query', 0):.0f}%",
                                 f"{100 * s.get('live_ids', 0):.0f}%", f"{100 * other_share:.0f}%"))
                    report.raw.setdefault("runs", []).append({"size": size, "engine": engine, "mode": label, **m})
                    print(f"  {rows[-1]}", file=sys.stderr, flush=True)
    headers = ["chunks (tenant)", "engine", "request", "queries", "p50 ms", "p95 ms", "embed", "index", "Postgres",
               "other"]
    report.say(table(headers, rows))
    print(f"\nwritten {report.write()}", file=sys.stderr)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1:])
