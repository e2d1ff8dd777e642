"""Qdrant through qdrant-client's AsyncQdrantClient: a server or cluster by URL, or the client's local mode."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import anyio.to_thread
from qdrant_client import AsyncQdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse
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
from aurora_mcp.index.snapshots import local_restore, local_snapshot, server_download, server_upload

MEMORY = ":memory:"
_PAGE = 256


def _filter(scope: Scope) -> models.Filter:
    """The only place qdrant-client filters are built: the tenant condition comes first, always."""
    must: list[models.Condition] = [
        models.FieldCondition(key="tenant_id", match=models.MatchValue(value=scope.tenant_id))
    ]
    for cond in scope.conditions:
        if isinstance(cond, AnyOf):
            values = list(cond.values)
            match = models.MatchValue(value=values[0]) if len(values) == 1 else models.MatchAny(any=values)
            must.append(models.FieldCondition(key=cond.key, match=match))
        else:
            must.append(models.FieldCondition(key=cond.key, range=models.Range(gte=cond.gte, lte=cond.lte)))
    return models.Filter(must=must)


def _sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=list(vector.indices), values=list(vector.values))


def _query_args(query: HybridQuery, scope: Scope) -> dict[str, Any]:
    """Keyword arguments of `query_points`: prefetch → weighted RRF → MMR, filtered at every stage."""
    flt = _filter(scope)
    n = candidates(query)
    # BM25 IDF over this tenant's points only (Qdrant ≥ 1.19; local mode supports it), so another tenant's corpus
    # neither skews nor reveals term rarity.
    idf = models.SearchParams(idf=models.IdfCorpusParams(corpus=_filter(tenant_scope(scope.tenant_id))))
    dense = models.Prefetch(query=query.dense, using=DENSE_VECTOR, limit=n, filter=flt)
    sparse = models.Prefetch(query=_sparse(query.sparse), using=SPARSE_VECTOR, limit=n, filter=flt, params=idf)
    common: dict[str, Any] = {"limit": query.k, "query_filter": flt, "with_payload": True}
    if query.mode is SearchMode.HYBRID:
        # Weighted RRF is native (RrfQuery; local mode and servers recent enough for Rrf weights): one weight per
        # prefetch, in order.
        fusion = models.RrfQuery(rrf=models.Rrf(k=RRF_K, weights=[query.dense_weight, query.sparse_weight]))
        if query.mmr_lambda is None:
            return {"prefetch": [dense, sparse], "query": fusion, **common}
        # MMR over the fused ranking is done by `mmr_order` (see index/mmr.py): n candidates with their vectors.
        return {"prefetch": [dense, sparse], "query": fusion, **common, "limit": n, "with_vectors": [DENSE_VECTOR]}
    if query.mode is SearchMode.SPARSE:
        sparse_args = {"query": sparse.query, "using": SPARSE_VECTOR, "search_params": idf, **common}
        if query.mmr_lambda is None:
            return sparse_args
        return {**sparse_args, "limit": n, "with_vectors": [DENSE_VECTOR]}
    if query.mmr_lambda is None:
        return {"query": query.dense, "using": DENSE_VECTOR, **common}
    # Dense mode: Qdrant's own MMR is right here (its relevance is the dense similarity). It takes `diversity`
    # (1 = all diversity), the complement of the classic lambda: diversity = 1 - mmr_lambda.
    mmr = models.Mmr(diversity=1.0 - query.mmr_lambda, candidates_limit=n)
    nearest = models.NearestQuery(nearest=query.dense, mmr=mmr)
    return {"prefetch": [dense], "query": nearest, "using": DENSE_VECTOR, **common}


def _hit(point: Any) -> IndexHit:
    return IndexHit(id=str(point.id), score=float(getattr(point, "score", 0.0) or 0.0), payload=point.payload or {})


def _mismatch(collection: str, existing: int | str, wanted: int) -> DimensionMismatch:
    return DimensionMismatch(
        f"index collection {collection!r} holds {existing}-d dense vectors but the embedder makes {wanted}-d ones; "
        "set AURORA_COLLECTION to a new name and ingest the documents again, or go back to the embedder that built it"
    )


class QdrantClientIndex(VectorIndex):
    """One collection through `AsyncQdrantClient`: pass `url` (server) or `path` (local mode, or ":memory:").

    Local mode is qdrant-client's pure-Python engine: its "async" methods run synchronously on the event loop and
    it scans instead of indexing (payload indexes have no effect), so it serves tests and comparisons; the
    embedded default is `EdgeVectorIndex`.
    """

    def __init__(
        self,
        collection: str,
        *,
        url: str | None = None,
        api_key: str | None = None,
        path: Path | str | None = None,
        timeout: int = 30,
    ) -> None:
        """Args: collection: the collection name; url/api_key: a server; path: a local-mode folder or ":memory:".

        Raises:
            ConfigurationError: neither or both of `url` and `path` are given.
        """
        if (url is None) == (path is None):
            raise ConfigurationError("QdrantClientIndex needs exactly one of url (server) or path (local mode)")
        self._collection = collection
        self._url = url
        self._api_key = api_key
        self._path = path
        self._timeout = timeout
        self._client: AsyncQdrantClient | None = None
        self._dimension = 0

    def _where(self) -> str:
        return self._url or str(self._path)

    def _connect(self) -> AsyncQdrantClient:
        if self._client is not None:
            return self._client
        if self._url is not None:
            # No version probe at construction: it is a blocking HTTP call; `ping` reports the server version.
            client = AsyncQdrantClient(
                url=self._url, api_key=self._api_key, timeout=self._timeout, check_compatibility=False
            )
        elif str(self._path) == MEMORY:
            client = AsyncQdrantClient(location=MEMORY)
        else:
            Path(self._path).mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
            try:
                client = AsyncQdrantClient(path=str(self._path))
            except RuntimeError as exc:  # local mode takes its own file lock and raises this when it is held
                raise EngineBusy(
                    f"the local Qdrant folder {self._path} is in use by another process: stop it, or run a "
                    "Qdrant server (AURORA_QDRANT_URL) to share the index"
                ) from exc
        self._client = client
        return client

    def _open_client(self) -> AsyncQdrantClient:
        if self._client is None or not self._dimension:
            raise ConfigurationError("the Qdrant index is not open: call ensure_collection() first")
        return self._client

    @override
    async def ensure_collection(self, dense_dimension: int) -> None:
        if dense_dimension < 1:
            raise InvalidInput(f"dense dimension must be positive, got {dense_dimension}")
        client = self._connect()
        try:
            if not await client.collection_exists(self._collection):
                await self._create(client, dense_dimension)
            info = await client.get_collection(self._collection)
        except ResponseHandlingException as exc:
            raise ConfigurationError(f"Qdrant at {self._where()} does not answer: {exc.source}") from exc
        vectors = info.config.params.vectors
        dense = vectors.get(DENSE_VECTOR) if isinstance(vectors, dict) else None
        if dense is None:
            raise _mismatch(self._collection, "unnamed or missing 'dense'", dense_dimension)
        if dense.size != dense_dimension:
            raise _mismatch(self._collection, dense.size, dense_dimension)
        if SPARSE_VECTOR not in (info.config.params.sparse_vectors or {}):
            raise ConfigurationError(
                f"index collection {self._collection!r} has no {SPARSE_VECTOR!r} sparse vector; set "
                "AURORA_COLLECTION to a new name and ingest the documents again"
            )
        await self._ensure_payload_indexes(client, set(info.payload_schema or {}))
        self._dimension = dense_dimension

    async def _create(self, client: AsyncQdrantClient, dimension: int) -> None:
        try:
            await client.create_collection(
                self._collection,
                vectors_config={DENSE_VECTOR: models.VectorParams(size=dimension, distance=models.Distance.COSINE)},
                sparse_vectors_config={SPARSE_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            )
        except (UnexpectedResponse, ValueError):
            # Another replica may have created it between our check and our call; anything else re-raises.
            if not await client.collection_exists(self._collection):
                raise

    async def _ensure_payload_indexes(self, client: AsyncQdrantClient, present: set[str]) -> None:
        schemas: dict[str, models.PayloadSchemaType | models.KeywordIndexParams] = {
            field: models.PayloadSchemaType.KEYWORD for field in INDEXED_KEYWORD_FIELDS
        }
        # is_tenant lets the server co-locate a tenant's points; every query filters on it.
        schemas["tenant_id"] = models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True)
        schemas.update({field: models.PayloadSchemaType.INTEGER for field in INDEXED_INTEGER_FIELDS})
        with warnings.catch_warnings():
            # Local mode warns that payload indexes do nothing there; we know, and the server needs them.
            warnings.filterwarnings("ignore", message="Payload indexes have no effect", category=UserWarning)
            for field, schema in schemas.items():
                if field not in present:
                    await client.create_payload_index(self._collection, field, field_schema=schema, wait=True)

    @override
    async def upsert(self, points: list[ChunkPoint]) -> None:
        client = self._open_client()
        check_points(points, self._dimension)
        for start in range(0, len(points), UPSERT_BATCH):
            batch = [
                models.PointStruct(
                    id=p.id, vector={DENSE_VECTOR: p.dense, SPARSE_VECTOR: _sparse(p.sparse)}, payload=p.payload
                )
                for p in points[start : start + UPSERT_BATCH]
            ]
            await client.upsert(self._collection, points=batch, wait=True)

    async def _delete(self, scope: Scope) -> None:
        client = self._open_client()
        selector = models.FilterSelector(filter=_filter(scope))
        await client.delete(self._collection, points_selector=selector, wait=True)

    @override
    async def delete_document(self, tenant_id: str, document_id: str) -> None:
        await self._delete(document_scope(tenant_id, document_id))

    @override
    async def delete_tenant(self, tenant_id: str) -> None:
        await self._delete(tenant_scope(tenant_id))

    @override
    async def query(self, query: HybridQuery) -> list[IndexHit]:
        client = self._open_client()
        args = _query_args(query, check_query(query, self._dimension))
        response = await client.query_points(self._collection, **args)
        return [_hit(p) for p in reorder_candidates(query, response.points)]

    @override
    async def count(self, flt: IndexFilter) -> int:
        client = self._open_client()
        result = await client.count(self._collection, count_filter=_filter(scope_of(flt)), exact=True)
        return result.count

    @override
    async def scroll_document(
        self, tenant_id: str, document_id: str, *, chunk_from: int = 0, chunk_to: int | None = None
    ) -> list[IndexHit]:
        client = self._open_client()
        hits: list[IndexHit] = []
        start = chunk_from
        while chunk_to is None or start <= chunk_to:
            # Page by chunk_index (unique within a document): with order_by the server refuses point offsets.
            scope = document_scope(tenant_id, document_id, chunk_from=start, chunk_to=chunk_to)
            records, _ = await client.scroll(
                self._collection,
                scroll_filter=_filter(scope),
                limit=_PAGE,
                with_payload=True,
                order_by=models.OrderBy(key="chunk_index", direction=models.Direction.ASC),
            )
            hits.extend(_hit(r) for r in records)
            if len(records) < _PAGE:
                break
            start = int(records[-1].payload["chunk_index"]) + 1
        return hits

    @override
    async def count_all(self) -> int:
        client = self._open_client()
        return (await client.count(self._collection, exact=True)).count

    @override
    async def snapshot(self, target: Path) -> int:
        """Server: the snapshot API, downloaded then deleted on the server. Local mode: a copy of its files.

        The local copy runs on the event loop on purpose: local mode runs every call there too, so no upsert can
        be half-applied while it is taken. On a multi-node cluster the API covers this node's shards only.
        """
        client = self._open_client()
        if self._url is None:
            if str(self._path) == MEMORY:
                raise ConfigurationError("an in-memory Qdrant index cannot be snapshotted")
            return local_snapshot(Path(self._path), self._collection, target)  # type: ignore[arg-type]
        points = await self.count_all()
        made = await client.create_snapshot(self._collection, wait=True)
        if made is None:
            raise ConfigurationError(f"Qdrant at {self._url} did not create a snapshot of {self._collection!r}")
        try:
            await server_download(self._url, self._api_key, self._collection, made.name, target)
        finally:
            await client.delete_snapshot(self._collection, made.name, wait=True)
        return points

    @override
    async def restore_snapshot(self, source: Path) -> None:
        if self._url is not None:
            await server_upload(self._url, self._api_key, self._collection, source)
            return
        if self._client is not None or str(self._path) == MEMORY:
            raise ConfigurationError("restore the local Qdrant folder before opening it (ensure_collection)")
        await anyio.to_thread.run_sync(local_restore, Path(self._path), self._collection, source)  # type: ignore[arg-type]

    @override
    async def ping(self) -> str:
        client = self._connect()
        if self._url is not None:
            try:
                info = await client.info()
            except ResponseHandlingException as exc:
                raise ConfigurationError(f"Qdrant at {self._url} does not answer: {exc.source}") from exc
            return f"Qdrant server {info.version} at {self._url}, collection {self._collection!r}"
        names = {c.name for c in (await client.get_collections()).collections}
        state = "present" if self._collection in names else "absent"
        return f"qdrant-client local mode at {self._path}, collection {self._collection!r} {state}"

    @override
    async def close(self) -> None:
        client, self._client = self._client, None
        self._dimension = 0
        if client is not None:
            await client.close()
