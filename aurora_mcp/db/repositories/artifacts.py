"""Artifacts: the objects written for a document (raw upload, docling JSON, markdown, page assets)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from aurora_mcp.db.pool import Executor
from aurora_mcp.db.records import Artifact, ArtifactKind
from aurora_mcp.errors import DocumentNotFound

Id = uuid.UUID | str

_COLUMNS = "id, document_id, kind, page_no, uri_s3, extra, created_at, size_bytes"
_A_COLUMNS = ", ".join(f"a.{c.strip()}" for c in _COLUMNS.split(","))
# artifacts has no tenant_id column: the owning documents row is what ties an artifact to a tenant.
_ADD = f"""
INSERT INTO artifacts (document_id, kind, page_no, uri_s3, extra, size_bytes)
SELECT d.id, $3::asset_kind, $4::int, $5::text, $6::jsonb, $7::bigint
FROM documents d
WHERE d.tenant_id = $1 AND d.id = $2
RETURNING {_COLUMNS}
"""
_FOR_DOCUMENT = f"""
SELECT {_A_COLUMNS}
FROM artifacts a JOIN documents d ON d.id = a.document_id
WHERE d.tenant_id = $1 AND a.document_id = $2
ORDER BY a.created_at, a.id
"""


def _artifact(row: Any) -> Artifact:
    return Artifact.model_validate(dict(row))


class ArtifactRepository:
    """Rows of `artifacts`. Invariant: an artifact is only written or read through a document of the caller's
    tenant (join on documents.tenant_id); it disappears with its document (ON DELETE CASCADE)."""

    async def add(
        self,
        conn: Executor,
        tenant_id: Id,
        document_id: Id,
        *,
        kind: ArtifactKind | str,
        uri_s3: str,
        size_bytes: int | None,
        page_no: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Artifact:
        """Record an object written for the document. Raises: DocumentNotFound when it is not the tenant's."""
        row = await conn.fetchrow(
            _ADD, tenant_id, document_id, ArtifactKind(kind), page_no, uri_s3,
            dict(extra) if extra is not None else None, size_bytes,
        )  # fmt: skip
        if row is None:
            raise DocumentNotFound(f"document {document_id} not found")
        return _artifact(row)

    async def list_for_document(self, conn: Executor, tenant_id: Id, document_id: Id) -> list[Artifact]:
        """The document's artifacts in creation order; empty for a document the tenant does not hold."""
        return [_artifact(r) for r in await conn.fetch(_FOR_DOCUMENT, tenant_id, document_id)]
