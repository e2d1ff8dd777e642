"""The embedded default: Qdrant's engine in-process through qdrant-edge-py, one shard per collection."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any, TypeVar

import anyio
import anyio.to_thread
import qdrant_edge as qe
from typing_extensions import override

from aurora_mcp.errors import ConfigurationError, DimensionMismatch, EngineBusy, InvalidInput
from aurora_mcp.index.base import (
    DENSE_VECTOR,
    INDEXED_INTEGER_FIELDS,
    INDEXED_KEYWORD_FIELDS,
    SPARSE_VECTOR,
    ChunkPoint,
    HybridQuery,
    IndexFilter,
    IndexHit,
    SearchMode,
    SparseVector,
    VectorIndex,
)
from aurora_mcp.index.filters import (
    RRF_K,
    UPSERT_BATCH,
    AnyOf,
    Scope,
    candidates,
    check_points,
    check_query,
    document_scope,
    scope_of,
    tenant_scope,
)
from aurora_mcp.index.mmr import reorder_candidates
from aurora_mcp.index.snapshots import pack_dir, replace_dir, unpack_dir

T = TypeVar("T")
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_CONFIG_FILE = "edge_config.json"  # written by the engine into the shard dir
_PAGE = 256


def _filter(scope: Scope) -> qe.Filter:
    """The only place edge filters are built: the tenant condition comes first, always."""
    must: list[Any] = [qe.FieldCondition("tenant_id", match=qe.MatchValue(scope.tenant_id))]
    for cond in scope.conditions:
        if isinstance(cond, AnyOf):
            values = list(cond.values)
            match = qe.MatchValue(values[0]) if len(values) == 1 else qe.MatchAny(values)
            must.append(qe.FieldCondition(cond.key, match=match))
        else:
            must.append(qe.FieldCondition(cond.key, range=qe.RangeFloat(gte=cond.gte, lte=cond.lte)))
    return qe.Filter(must=must)


def _sparse(vector: SparseVector) -> qe.SparseVector:
    return qe.SparseVector(list(vector.indices), list(vector.values))


def _request(query: HybridQuery, scope: Scope) -> qe.QueryRequest:
    """Translate a HybridQuery into one edge query (prefetch → weighted RRF → MMR), filtered at every stage."""
    flt = _filter(scope)
    n = candidates(query)
    # BM25 IDF over this tenant's points only, so another tenant's corpus neither skews nor reveals term rarity.
    idf = qe.SearchParams(idf=qe.IdfParams(corpus=_filter(tenant_scope(scope.tenant_id))))
    dense = qe.Prefetch(limit=n, query=qe.Query.Nearest(query.dense, using=DENSE_VECTOR), filter=flt)
    sparse = qe.Prefetch(
        limit=n, query=qe.Query.Nearest(_sparse(query.sparse), using=SPARSE_VECTOR), filter=flt, params=idf
    )
    common: dict[str, Any] = {"limit": query.k, "filter": flt, "with_payload": True}
    if query.mode is SearchMode.HYBRID:
        # The engine weights RRF natively: Fusion.Rrf(k, weights) with one weight per prefetch, in order.
        fusion = qe.Fusion.Rrf(k=RRF_K, weights=[query.dense_weight, query.sparse_weight])
        if query.mmr_lambda is None:
            return qe.QueryRequest(prefetches=[dense, sparse], query=fusion, **common)
        # MMR over the fused ranking is done by `mmr_order` (see index/mmr.py): n candidates with their vectors.
        return qe.QueryRequest(
            prefetches=[dense, sparse], query=fusion, **{**common, "limit": n, "with_vector": [DENSE_VECTOR]}
        )
    if query.mode is SearchMode.SPARSE:
        if query.mmr_lambda is None:
            return qe.QueryRequest(query=sparse.query, params=idf, **common)
        return qe.QueryRequest(query=sparse.query, params=idf, **{**common, "limit": n, "with_vector": [DENSE_VECTOR]})
    if query.mmr_lambda is None:
        return qe.QueryRequest(query=qe.Query.Nearest(query.dense, using=DENSE_VECTOR), **common)
    # Dense mode: the engine's own MMR is right here (its relevance is the dense similarity). Edge's `lambda_` is
    # the classic MMR lambda (1 = pure relevance, measured), so `mmr_lambda` passes through unchanged.
    mmr = qe.Mmr(query.dense, lambda_=query.mmr_lambda, candidates_limit=n, using=DENSE_VECTOR)
    return qe.QueryRequest(prefetches=[dense], query=mmr, **common)


def _hit(point: Any) -> IndexHit:
    return IndexHit(id=str(point.id), score=float(getattr(point, "score", 0.0) or 0.0), payload=point.payload or {})


def _persisted_dense_size(shard_dir: Path) -> int | None:
    """The dense size recorded by the engine, read before opening so a mismatch is reported with both sizes."""
    try:
        config = json.loads((shard_dir / _CONFIG_FILE).read_text())
        return int(config["vectors"][DENSE_VECTOR]["size"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _mismatch(collection: str, existing: int | str, wanted: int) -> DimensionMismatch:
    return DimensionMismatch(
        f"index collection {collection!r} holds {existing}-d dense vectors but the embedder makes {wanted}-d ones; "
        "set AURORA_COLLECTION to a new name and ingest the documents again, or go back to the embedder that built it"
    )


class EdgeVectorIndex(VectorIndex):
    """A qdrant-edge shard at `path/collection`, owned by one process through an exclusive lock file.

    The engine is single-writer and its bindings hold the GIL for the whole of each call (measured: other threads
    stall during a 10 s `optimize()`), so every engine call runs in a worker thread under one lock: calls could
    not overlap anyway, writes stay ordered, and `close()` never races a call in flight.
    """

    def __init__(self, path: Path, collection: str) -> None:
        """Args: path: the folder that holds the shard and its lock; collection: the shard's folder name."""
        if not _NAME_RE.match(collection):
            raise ConfigurationError(f"AURORA_COLLECTION={collection!r} is not a valid folder name")
        self._root = Path(path)
        self._collection = collection
        self._shard_dir = self._root / collection
        self._lock_path = self._root / f"{collection}.lock"
        self._lock_file: IO[str] | None = None
        self._shard: qe.EdgeShard | None = None
        self._dimension = 0
        self._calls = anyio.Lock()

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        async with self._calls:
            return await anyio.to_thread.run_sync(fn, *args)

    def _open_shard(self) -> qe.EdgeShard:
        if self._shard is None:
            raise ConfigurationError("the edge index is not open: call ensure_collection() first")
        return self._shard

    def _take_lock(self) -> None:
        self._root.mkdir(parents=True, exist_ok=True)
        handle = open(self._lock_path, "a+")  # noqa: SIM115 - held open for the life of the index
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise EngineBusy(
                f"the embedded index {self._shard_dir} is in use by another process (pid {holder}); the engine "
                "allows one process per data dir: stop that process, give this one another AURORA_HOME, or run a "
                "Qdrant server (AURORA_QDRANT_URL) to share the index"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _open(self, dimension: int) -> qe.EdgeShard:
        existing = _persisted_dense_size(self._shard_dir)
        if existing is not None and existing != dimension:
            raise _mismatch(self._collection, existing, dimension)
        config = qe.EdgeConfig(
            vectors={DENSE_VECTOR: qe.EdgeVectorParams(size=dimension, distance=qe.Distance.Cosine)},
            sparse_vectors={SPARSE_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        )
        try:
            if (self._shard_dir / _CONFIG_FILE).exists():
                shard = qe.EdgeShard.load(str(self._shard_dir), config)  # the engine re-checks compatibility
            else:
                shard = qe.EdgeShard.create(str(self._shard_dir), config)
        except Exception as exc:  # the bindings raise bare Exception with the engine's message
            if "incompatible" in str(exc).lower():
                raise _mismatch(self._collection, existing or "other", dimension) from exc
            raise ConfigurationError(f"cannot open the embedded index {self._shard_dir}: {exc}") from exc
        try:
            present = set(shard.info().payload_schema)
            for field in INDEXED_KEYWORD_FIELDS:
                if field not in present:
                    # is_tenant lets the engine co-locate a tenant's points; every query filters on it.
                    params = qe.KeywordIndexParams(is_tenant=field == "tenant_id")
                    shard.update(qe.UpdateOperation.create_field_index(field, params))
            for field in INDEXED_INTEGER_FIELDS:
                if field not in present:
                    shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Integer))
        except BaseException:
            shard.close()
            raise
        return shard

    @override
    async def ensure_collection(self, dense_dimension: int) -> None:
        if dense_dimension < 1:
            raise InvalidInput(f"dense dimension must be positive, got {dense_dimension}")
        async with self._calls:
            if self._shard is not None:
                if dense_dimension != self._dimension:
                    raise _mismatch(self._collection, self._dimension, dense_dimension)
                return
            await anyio.to_thread.run_sync(self._take_lock)
            try:
                self._shard = await anyio.to_thread.run_sync(self._open, dense_dimension)
            except BaseException:
                self._release_lock()
                raise
            self._dimension = dense_dimension

    @override
    async def upsert(self, points: list[ChunkPoint]) -> None:
        shard = self._open_shard()
        check_points(points, self._dimension)
        for start in range(0, len(points), UPSERT_BATCH):
            batch = [
                qe.Point(p.id, {DENSE_VECTOR: p.dense, SPARSE_VECTOR: _sparse(p.sparse)}, p.payload)
                for p in points[start : start + UPSERT_BATCH]
            ]
            await self._run(shard.update, qe.UpdateOperation.upsert_points(batch))

    async def _delete(self, scope: Scope) -> None:
        shard = self._open_shard()
        await self._run(shard.update, qe.UpdateOperation.delete_points_by_filter(_filter(scope)))

    @override
    async def delete_document(self, tenant_id: str, document_id: str) -> None:
        await self._delete(document_scope(tenant_id, document_id))

    @override
    async def delete_tenant(self, tenant_id: str) -> None:
        await self._delete(tenant_scope(tenant_id))

    @override
    async def query(self, query: HybridQuery) -> list[IndexHit]:
        shard = self._open_shard()
        request = _request(query, check_query(query, self._dimension))
        points = reorder_candidates(query, await self._run(shard.query, request))
        return [_hit(p) for p in points]

    @override
    async def count(self, flt: IndexFilter) -> int:
        shard = self._open_shard()
        return await self._run(shard.count, qe.CountRequest(exact=True, filter=_filter(scope_of(flt))))

    @override
    async def scroll_document(
        self, tenant_id: str, document_id: str, *, chunk_from: int = 0, chunk_to: int | None = None
    ) -> list[IndexHit]:
        shard = self._open_shard()
        hits: list[IndexHit] = []
        start = chunk_from
        while chunk_to is None or start <= chunk_to:
            # Page by chunk_index (unique within a document) rather than point offsets, which order_by forbids.
            scope = document_scope(tenant_id, document_id, chunk_from=start, chunk_to=chunk_to)
            request = qe.ScrollRequest(
                limit=_PAGE,
                filter=_filter(scope),
                with_payload=True,
                order_by=qe.OrderBy("chunk_index", direction=qe.Direction.Asc),
            )
            records, _ = await self._run(shard.scroll, request)
            hits.extend(_hit(r) for r in records)
            if len(records) < _PAGE:
                break
            start = int(records[-1].payload["chunk_index"]) + 1
        return hits

    @override
    async def optimize(self) -> None:
        """Build HNSW and sparse indexes for segments past the engine's indexing threshold, then flush.

        Until then searches are exact scans of the appendable segment (correct, slower as it grows: 13 ms at 100k
        points vs 2 ms optimized). Cheap when nothing is pending (~50 µs), seconds when a segment crosses the
        threshold (~3 s per 10k 384-d points), and it holds the GIL throughout, so the ingest service calls it
        once per ingested document, never on the query path.
        """
        shard = self._open_shard()
        if await self._run(shard.optimize):
            await self._run(shard.flush)

    @override
    async def count_all(self) -> int:
        shard = self._open_shard()
        return await self._run(shard.count, qe.CountRequest(exact=True))

    @override
    async def snapshot(self, target: Path) -> int:
        """Close the shard (which flushes it), archive its folder, reopen it; every other call waits meanwhile.

        The engine has no snapshot call of its own (only `unpack_snapshot` of a server's), and a closed shard is
        the one state whose files are certain to be complete. The lock file stays ours throughout.
        """
        async with self._calls:
            shard = self._open_shard()
            points = await anyio.to_thread.run_sync(shard.count, qe.CountRequest(exact=True))
            self._shard = None
            try:
                await anyio.to_thread.run_sync(shard.flush)
                await anyio.to_thread.run_sync(shard.close)
                await anyio.to_thread.run_sync(pack_dir, self._shard_dir, target)
            finally:
                self._shard = await anyio.to_thread.run_sync(self._open, self._dimension)
        return points

    @override
    async def restore_snapshot(self, source: Path) -> None:
        if self._shard is not None:
            raise ConfigurationError("restore the edge index before opening it (ensure_collection)")

        def swap() -> None:
            self._take_lock()  # EngineBusy while a server or worker holds this shard
            staging = self._root / f".{self._collection}.restore-{uuid.uuid4().hex[:8]}"
            try:
                unpack_dir(source, staging)
                if not (staging / _CONFIG_FILE).exists():
                    raise ConfigurationError(f"{source.name} is not a snapshot of an edge index (no {_CONFIG_FILE})")
                replace_dir(self._shard_dir, staging)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
                self._release_lock()

        async with self._calls:
            await anyio.to_thread.run_sync(swap)

    @override
    async def ping(self) -> str:
        engine = f"qdrant-edge {version('qdrant-edge-py')}"
        if self._shard is None:
            return f"{engine}, shard {self._shard_dir} (not open)"
        info = await self._run(self._shard.info)
        return f"{engine}, shard {self._shard_dir}: {info.points_count} points in {info.segments_count} segments"

    @override
    async def close(self) -> None:
        async with self._calls:
            shard, self._shard = self._shard, None
            try:
                if shard is not None:
                    await anyio.to_thread.run_sync(shard.flush)
                    await anyio.to_thread.run_sync(shard.close)
            finally:
                with contextlib.suppress(OSError):
                    self._release_lock()
