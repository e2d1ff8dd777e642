"""Index-engine latency: p50/p95 of `VectorIndex.query` under a tenant filter, qdrant-edge vs qdrant-client local.

    python -m bench.search_engines [--sizes 10000,100000] [--engines edge,local] [--tenants 10] [--queries 100]
                                   [--no-optimize]

Random unit 384-d dense vectors and random 8-term sparse vectors, spread over --tenants tenants (10: the tenant
filter keeps 10% of the points; 1: the single-user embedded case, the filter keeps everything). Each query goes
through the product's index API (thread hop and filter building included) in hybrid mode (dense + BM25 prefetch,
RRF), then dense only. Edge is measured as written (exact scan of the
appendable segment) and again after `optimize()` unless --no-optimize. Local mode runs in memory (":memory:"):
its search is the same numpy scan either way and on-disk upserts would only slow the fill. Not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import anyio
import numpy as np

from aurora_mcp.index.base import ChunkPoint, HybridQuery, IndexFilter, SearchMode, SparseVector, VectorIndex
from aurora_mcp.index.edge import EdgeVectorIndex
from aurora_mcp.index.qdrant_client_index import MEMORY, QdrantClientIndex

DIM, VOCAB, BATCH = 384, 30_000, 1000


def random_sparse(rng: np.random.Generator, n_terms: int) -> SparseVector:
    terms = rng.choice(VOCAB, size=n_terms, replace=False)
    return SparseVector(indices=terms.tolist(), values=rng.integers(1, 4, size=n_terms).astype(float).tolist())


def unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


async def fill(index: VectorIndex, size: int, tenants: int, rng: np.random.Generator) -> float:
    started = time.perf_counter()
    doc = str(uuid.uuid4())
    for start in range(0, size, BATCH):
        rows = unit_rows(rng, min(BATCH, size - start))
        points = []
        for offset, row in enumerate(rows):
            n = start + offset
            if n % 50 == 0:
                doc = str(uuid.uuid4())  # 50 chunks per document
            payload = {"tenant_id": f"t{n % tenants}", "document_id": doc, "chunk_index": n % 50, "lang": "en"}
            sparse = random_sparse(rng, 8)
            points.append(ChunkPoint(id=str(uuid.uuid4()), dense=row.tolist(), sparse=sparse, payload=payload))
        await index.upsert(points)
    return time.perf_counter() - started


async def latencies(index: VectorIndex, mode: SearchMode, queries: int, rng: np.random.Generator) -> list[float]:
    out = []
    for _ in range(queries):
        query = HybridQuery(
            dense=unit_rows(rng, 1)[0].tolist(),
            sparse=random_sparse(rng, 3),
            filter=IndexFilter(tenant_id="t0"),
            k=8,
            fetch_k=40,
            mode=mode,
        )
        started = time.perf_counter()
        await index.query(query)
        out.append((time.perf_counter() - started) * 1000)
    return out


def row(engine: str, size: int, state: str, mode: SearchMode, ms: list[float]) -> str:
    p50, p95 = np.percentile(ms, 50), np.percentile(ms, 95)
    return f"| {engine} | {size:,} | {state} | {mode} | {p50:.2f} | {p95:.2f} |"


async def measure(
    index: VectorIndex, engine: str, size: int, state: str, queries: int, rng: np.random.Generator
) -> None:
    for mode in (SearchMode.HYBRID, SearchMode.DENSE):
        print(row(engine, size, state, mode, await latencies(index, mode, queries, rng)), flush=True)


async def run(sizes: list[int], engines: list[str], tenants: int, queries: int, optimize: bool) -> None:
    print("| engine | points | state | mode | p50 ms | p95 ms |")
    print("|---|---:|---|---|---:|---:|")
    for size in sizes:
        for engine in engines:
            rng = np.random.default_rng(size)
            with tempfile.TemporaryDirectory() as tmp:
                index: VectorIndex = (
                    EdgeVectorIndex(Path(tmp), "bench") if engine == "edge" else QdrantClientIndex("bench", path=MEMORY)
                )
                await index.ensure_collection(DIM)
                fill_s = await fill(index, size, tenants, rng)
                print(f"<!-- {engine} {size:,}: filled in {fill_s:.1f} s -->", file=sys.stderr)
                # Local mode scans in Python: fewer queries at 100k keep the run short without changing p50.
                n = queries if engine == "edge" else max(10, queries // max(1, size // 10_000))
                await measure(index, engine, size, "as written", n, rng)
                if engine == "edge" and optimize:
                    started = time.perf_counter()
                    await index.optimize()
                    state = f"optimized ({time.perf_counter() - started:.0f} s)"
                    await measure(index, engine, size, state, n, rng)
                await index.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search_engines", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated point counts")
    parser.add_argument("--engines", default="edge,local", help="comma-separated: edge, local")
    parser.add_argument("--tenants", type=int, default=10, help="points are spread over this many tenants")
    parser.add_argument("--queries", type=int, default=100, help="queries per row (local mode runs fewer at 100k)")
    parser.add_argument("--no-optimize", action="store_true", help="skip the edge optimize() pass")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = [e.strip() for e in args.engines.split(",")]
    anyio.run(run, sizes, engines, args.tenants, args.queries, not args.no_optimize)


if __name__ == "__main__":
    main()
