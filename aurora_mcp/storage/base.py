"""The object store contract: buckets of raw uploads, artifacts and backups, keyed `{tenant}/{document}/{name}`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from pydantic import BaseModel

UPLOADS_BUCKET = "aurorarag-uploads"
ARTIFACTS_BUCKET = "aurorarag-artifacts"
BACKUPS_BUCKET = "aurorarag-backups"
BUCKETS = (UPLOADS_BUCKET, ARTIFACTS_BUCKET, BACKUPS_BUCKET)


def object_key(tenant_id: str, document_id: str, name: str) -> str:
    """The key layout shared by every implementation (DESIGN §5)."""
    return f"{tenant_id}/{document_id}/{name}"


class ObjectInfo(BaseModel):
    bucket: str
    key: str
    size_bytes: int
    uri: str  # s3://bucket/key for both implementations, so rows do not depend on the backend


class ObjectStore(ABC):
    """One implementation per backend; all methods are async and safe to call concurrently."""

    @abstractmethod
    async def ensure_buckets(self) -> None:
        """Create the three buckets if missing."""

    @abstractmethod
    async def put_bytes(self, bucket: str, key: str, data: bytes, *, content_type: str | None = None) -> ObjectInfo:
        """Store `data` at `bucket/key`, replacing what was there."""

    @abstractmethod
    async def put_file(self, bucket: str, key: str, path: Path, *, content_type: str | None = None) -> ObjectInfo:
        """Stream a local file to `bucket/key` without loading it whole."""

    @abstractmethod
    async def get_bytes(self, bucket: str, key: str) -> bytes:
        """Read an object; raises `aurora_mcp.errors.NotFound` when absent."""

    @abstractmethod
    async def get_file(self, bucket: str, key: str, path: Path) -> None:
        """Stream an object to a local file; raises `NotFound` when absent."""

    @abstractmethod
    async def stat(self, bucket: str, key: str) -> ObjectInfo | None:
        """Size and uri, or None when absent."""

    @abstractmethod
    async def delete(self, bucket: str, key: str) -> None:
        """Remove an object; absent is not an error."""

    @abstractmethod
    async def delete_prefix(self, bucket: str, prefix: str) -> int:
        """Remove every object under `prefix`; returns how many were removed."""

    @abstractmethod
    async def list(self, bucket: str, prefix: str = "") -> list[ObjectInfo]:
        """Objects under `prefix`, recursively, sorted by key."""

    @abstractmethod
    async def presigned_get_url(self, bucket: str, key: str, *, expires_seconds: int = 3600) -> str:
        """A URL a client can GET the object from (a file:// URL for the local folder)."""

    @abstractmethod
    async def ping(self) -> str:
        """A short description of the backend; raises when it does not answer (used by `doctor`)."""

    async def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing to close
        """Release connections."""
