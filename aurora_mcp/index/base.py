"""The vector index contract (DESIGN §4): named dense + BM25 sparse vectors, every query scoped to one tenant."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from aurora_mcp.errors import ConfigurationError

DENSE_VECTOR = "dense"
SPARSE_VECTOR = "bm25"

# Payload fields with an explicit index (the seed asks for them); keyword unless listed in INTEGER_FIELDS.
INDEXED_KEYWORD_FIELDS = (
    "tenant_id",
    "document_id",
    "project",
    "workspace",
    "tags",
    "source_app",
    "sensitivity",
    "lang",
    "file_ext",
)
INDEXED_INTEGER_FIELDS = ("chunk_index", "created_at_epoch", "updated_at_epoch")


def point_id(document_id: str, chunk_index: int) -> str:
    """UUID5 of (document, chunk) so re-ingesting a document replaces its points instead of duplicating them."""
    return str(uuid.uuid5(uuid.UUID(document_id), str(chunk_index)))


class SparseVector(BaseModel):
    indices: list[int]
    values: list[float]


class ChunkPoint(BaseModel):
    id: str
    dense: list[float]
    sparse: SparseVector
    payload: dict[str, Any]  # must hold tenant_id, document_id, chunk_index


class IndexFilter(BaseModel):
    """Conditions ANDed together; each list means "any of". `tenant_id` is mandatory and always applied."""

    tenant_id: str
    document_ids: list[str] | None = None
    project: list[str] | None = None
    workspace: list[str] | None = None
    source_app: list[str] | None = None
    sensitivity: list[str] | None = None
    lang: list[str] | None = None
    file_ext: list[str] | None = None
    tags_any: list[str] | None = None
    tags_all: list[str] | None = None
    created_from_ms: int | None = None
    created_to_ms: int | None = None
    updated_from_ms: int | None = None
    updated_to_ms: int | None = None


class SearchMode(StrEnum):
    HYBRID = "hybrid"
    DENSE = "dense"
    SPARSE = "sparse"


class HybridQuery(BaseModel):
    dense: list[float]
    sparse: SparseVector
    filter: IndexFilter
    k: int = Field(default=8, ge=1)
    fetch_k: int = Field(default=40, ge=1, description="candidates per prefetch and for MMR")
    mmr_lambda: float | None = Field(default=None, ge=0, le=1, description="None → no MMR; 1 → pure relevance")
    mode: SearchMode = SearchMode.HYBRID
    dense_weight: float = Field(default=1.0, gt=0, description="RRF weight of the dense prefetch")
    sparse_weight: float = Field(default=1.0, gt=0, description="RRF weight of the BM25 prefetch")


class IndexHit(BaseModel):
    id: str
    score: float
    payload: dict[str, Any]


class VectorIndex(ABC):
    """One implementation per engine. Implementations own their client; all calls are async."""

    @abstractmethod
    async def ensure_collection(self, dense_dimension: int) -> None:
        """Open the engine, create the collection and payload indexes if missing; call it before anything else.

        Raises `DimensionMismatch` if the existing collection's dense size differs from `dense_dimension`.
        """

    @abstractmethod
    async def upsert(self, points: list[ChunkPoint]) -> None:
        """Insert or replace points; visible to queries when this returns."""

    @abstractmethod
    async def delete_document(self, tenant_id: str, document_id: str) -> None:
        """Remove every point of one document of one tenant."""

    @abstractmethod
    async def delete_tenant(self, tenant_id: str) -> None:
        """Remove every point of one tenant."""

    @abstractmethod
    async def query(self, query: HybridQuery) -> list[IndexHit]:
        """Prefetch dense and sparse, fuse with (weighted) RRF, then MMR when `mmr_lambda` is set; best first."""

    @abstractmethod
    async def count(self, flt: IndexFilter) -> int:
        """Exact number of points matching the filter."""

    @abstractmethod
    async def scroll_document(
        self, tenant_id: str, document_id: str, *, chunk_from: int = 0, chunk_to: int | None = None
    ) -> list[IndexHit]:
        """Points of one document ordered by chunk_index, optionally restricted to [chunk_from, chunk_to]."""

    async def optimize(self) -> None:  # noqa: B027 - optional hook, engines that index in the background skip it
        """Build pending search indexes now (embedded engines); a no-op where the engine optimizes by itself."""

    # Backups (aurora_mcp.ops): optional hooks, so an engine without them still serves queries.

    async def count_all(self) -> int:
        """Exact number of points of every tenant; only backups and restores look across tenants."""
        raise ConfigurationError(f"{type(self).__name__} cannot count across tenants")

    async def snapshot(self, target: Path) -> int:
        """Write a consistent snapshot of the whole collection to the file `target`; returns the points it holds.

        Writes of this process wait until the snapshot is taken, so it never holds half of an upsert.
        """
        raise ConfigurationError(f"{type(self).__name__} cannot take snapshots")

    async def restore_snapshot(self, source: Path) -> None:
        """Replace the whole collection with a file written by `snapshot` of the same engine.

        Call it on an index that is not open (before `ensure_collection`): embedded engines swap their files.
        """
        raise ConfigurationError(f"{type(self).__name__} cannot restore snapshots")

    @abstractmethod
    async def ping(self) -> str:
        """A short description of the engine; raises when it does not answer (used by `doctor`)."""

    @abstractmethod
    async def close(self) -> None:
        """Flush and release the engine."""
