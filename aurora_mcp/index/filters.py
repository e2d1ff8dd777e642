"""Engine-neutral index rules shared by the Qdrant engines: filter validation, the tenant rule, input checks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aurora_mcp.errors import DimensionMismatch, InvalidInput
from aurora_mcp.index.base import ChunkPoint, HybridQuery, IndexFilter, SparseVector

# RRF constant, passed explicitly so every engine fuses alike (edge requires one; qdrant-client's local mode
# defaults to 2). Both engines weight a list as 1 / ((rank + 1) / weight + k - 1). With k = 2 a dense near-miss at
# rank 1 outscored BM25's exact match at rank 1-2 in 176 of 1,000 index-term queries; k = 60 (the RRF paper's value)
# flattens that and, in bench/fusion.py's replays, lifted hand-judged questions from 0.340 to 0.41 nDCG@10 for the
# same index-term score.
RRF_K = 60
# Points per engine write call: keeps each blocking call short so queries interleave with a large ingest.
UPSERT_BATCH = 256

# IndexFilter list fields → the payload key each one matches ("any of" the listed values).
_ANY_OF_FIELDS = {
    "document_ids": "document_id",
    "project": "project",
    "workspace": "workspace",
    "source_app": "source_app",
    "sensitivity": "sensitivity",
    "lang": "lang",
    "file_ext": "file_ext",
    "tags_any": "tags",
}
# (from field, to field, payload key); both bounds inclusive, epoch milliseconds.
_RANGE_FIELDS = (
    ("created_from_ms", "created_to_ms", "created_at_epoch"),
    ("updated_from_ms", "updated_to_ms", "updated_at_epoch"),
)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """The payload `key` equals one of `values` (for a list payload such as tags: contains one of them)."""

    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Between:
    """`gte <= payload[key] <= lte`, either bound optional."""

    key: str
    gte: int | None
    lte: int | None


Condition = AnyOf | Between


@dataclass(frozen=True, slots=True)
class Scope:
    """Conditions ANDed under one tenant.

    The tenant is a field of its own, not one of `conditions`: each engine's single filter builder emits the tenant
    condition from it unconditionally, so no code path can build a Qdrant filter that lacks it.
    """

    tenant_id: str
    conditions: tuple[Condition, ...] = ()


def _tenant(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not tenant_id.strip():
        raise InvalidInput("tenant_id is required on every index call and may not be blank")
    return tenant_id


def _values(field: str, values: list[str]) -> tuple[str, ...]:
    if not values:
        # "any of nothing" matches nothing, which is never what a caller means: say so instead of returning nothing.
        raise InvalidInput(f"filter {field}=[] matches nothing; leave {field} out to not filter on it")
    if any(not isinstance(v, str) or not v.strip() for v in values):
        raise InvalidInput(f"filter {field} holds a blank value: {values!r}")
    return tuple(dict.fromkeys(values))  # dedupe, keep order


def _range(lo_name: str, lo: int | None, hi_name: str, hi: int | None, key: str) -> Between | None:
    if lo is None and hi is None:
        return None
    if lo is not None and hi is not None and lo > hi:
        raise InvalidInput(f"filter {lo_name}={lo} is after {hi_name}={hi}")
    return Between(key, lo, hi)


def scope_of(flt: IndexFilter) -> Scope:
    """Validate a caller's filter and turn it into engine-neutral conditions under its tenant.

    Lists become one "any of" condition each; `tags_all` becomes one single-value condition per tag (all must hold);
    created/updated bounds become inclusive ranges on `created_at_epoch` / `updated_at_epoch`.

    Raises:
        InvalidInput: blank tenant, an empty list or a blank value, a range whose start is after its end.
    """
    conditions: list[Condition] = []
    for field, key in _ANY_OF_FIELDS.items():
        values = getattr(flt, field)
        if values is not None:
            conditions.append(AnyOf(key, _values(field, values)))
    if flt.tags_all is not None:
        conditions.extend(AnyOf("tags", (tag,)) for tag in _values("tags_all", flt.tags_all))
    for lo_name, hi_name, key in _RANGE_FIELDS:
        between = _range(lo_name, getattr(flt, lo_name), hi_name, getattr(flt, hi_name), key)
        if between is not None:
            conditions.append(between)
    return Scope(_tenant(flt.tenant_id), tuple(conditions))


def tenant_scope(tenant_id: str) -> Scope:
    """Every point of one tenant (delete_tenant, and the IDF corpus of BM25 queries)."""
    return Scope(_tenant(tenant_id))


def document_scope(tenant_id: str, document_id: str, *, chunk_from: int = 0, chunk_to: int | None = None) -> Scope:
    """The points of one document of one tenant, optionally only chunks in [chunk_from, chunk_to].

    Raises:
        InvalidInput: blank tenant or document id, negative or inverted chunk range.
    """
    (doc,) = _values("document_id", [document_id])
    if chunk_from < 0 or (chunk_to is not None and chunk_to < chunk_from):
        raise InvalidInput(f"invalid chunk range [{chunk_from}, {chunk_to}]")
    conditions: list[Condition] = [AnyOf("document_id", (doc,))]
    if chunk_from > 0 or chunk_to is not None:
        conditions.append(Between("chunk_index", chunk_from, chunk_to))
    return Scope(_tenant(tenant_id), tuple(conditions))


def _check_dense(vector: list[float], dimension: int, what: str) -> None:
    if len(vector) != dimension:
        raise DimensionMismatch(
            f"{what} has {len(vector)} dimensions but the collection holds {dimension}-d vectors; "
            "the embedder changed: set AURORA_COLLECTION to a new name and ingest the documents again"
        )


def _check_sparse(vector: SparseVector, what: str) -> None:
    if len(vector.indices) != len(vector.values):
        raise InvalidInput(f"{what}: sparse vector has {len(vector.indices)} indices but {len(vector.values)} values")
    if len(set(vector.indices)) != len(vector.indices):
        raise InvalidInput(f"{what}: sparse vector repeats an index")


def check_points(points: list[ChunkPoint], dimension: int) -> None:
    """Refuse points the index could not scope or search: every payload names its tenant, document and chunk.

    Raises:
        InvalidInput: an id is not a UUID, a payload lacks tenant_id / document_id / chunk_index, or a sparse
            vector is malformed.
        DimensionMismatch: a dense vector's size differs from the collection's.
    """
    for point in points:
        what = f"point {point.id}"
        try:
            uuid.UUID(point.id)
        except ValueError:
            raise InvalidInput(f"{what}: point ids are UUIDs (see base.point_id)") from None
        payload = point.payload
        _tenant(payload.get("tenant_id", ""))
        if not isinstance(payload.get("document_id"), str) or not payload["document_id"]:
            raise InvalidInput(f"{what}: payload needs a document_id")
        chunk = payload.get("chunk_index")
        if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 0:
            raise InvalidInput(f"{what}: payload needs a non-negative integer chunk_index")
        _check_dense(point.dense, dimension, what)
        _check_sparse(point.sparse, what)


def check_query(query: HybridQuery, dimension: int) -> Scope:
    """Validate a query against the collection and return its scope (the filter, tenant included).

    Raises:
        InvalidInput: see `scope_of`, or a malformed sparse vector.
        DimensionMismatch: the query's dense vector size differs from the collection's.
    """
    _check_dense(query.dense, dimension, "query vector")
    _check_sparse(query.sparse, "query")
    return scope_of(query.filter)


def candidates(query: HybridQuery) -> int:
    """How many points each prefetch and the MMR stage consider: `fetch_k`, but never fewer than `k`."""
    return max(query.fetch_k, query.k)
