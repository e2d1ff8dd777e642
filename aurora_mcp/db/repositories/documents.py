"""Documents of a tenant: dedup by checksum, status bookkeeping, listing, versions and deletion."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from aurora_mcp.db.pool import Executor
from aurora_mcp.db.records import DocStatus, Document, SourceType
from aurora_mcp.errors import DocumentNotFound, InvalidInput

Id = uuid.UUID | str

_COLUMNS = (
    "id, tenant_id, source_type, uri_s3, external_id, source_app, project, workspace, notebook_id, note_id, "
    "sensitivity, title, filename, file_ext, mime_type, byte_size, checksum, lang, page_count, doc_version, tags, "
    "status, error_text, docling_json_path, markdown_path, cold_storage_bucket, created_at, updated_at, parsed_at, "
    "chunked_at, indexed_at, created_at_epoch, updated_at_epoch"
)
# The epoch columns feed v_documents_metadata consumers that want integers; now() is fixed for the transaction,
# so they equal created_at / updated_at (the trigger sets updated_at = now() on every UPDATE).
_INSERT = f"""
INSERT INTO documents (tenant_id, checksum, filename, title, file_ext, mime_type, byte_size, source_type,
                       external_id, source_app, project, workspace, sensitivity, tags, lang, doc_version, uri_s3,
                       updated_at, created_at_epoch, updated_at_epoch)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::source_type, $9, $10, $11, $12, $13, $14, $15, $16, $17,
        now(), to_epoch_ms(now()), to_epoch_ms(now()))
ON CONFLICT (tenant_id, checksum) DO NOTHING
RETURNING {_COLUMNS}
"""
_BY_CHECKSUM = f"SELECT {_COLUMNS} FROM documents WHERE tenant_id = $1 AND checksum = $2"
_GET = f"SELECT {_COLUMNS} FROM documents WHERE tenant_id = $1 AND id = $2"
_GET_MANY = f"SELECT {_COLUMNS} FROM documents WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY created_at, id"
_PREVIOUS = f"""
SELECT {_COLUMNS} FROM documents
WHERE tenant_id = $1 AND id <> $2
  AND CASE WHEN $3::text IS NOT NULL THEN external_id = $3
           ELSE $5::text IS NOT NULL AND filename = $5 AND project IS NOT DISTINCT FROM $4::text END
ORDER BY created_at DESC, id
"""
_FILTER = """
WHERE tenant_id = $1
  AND ($2::doc_status IS NULL OR status = $2::doc_status)
  AND ($3::text IS NULL OR project = $3)
  AND ($4::text IS NULL OR workspace = $4)
  AND ($5::text[] IS NULL OR tags && $5::text[])
  AND ($6::text IS NULL OR source_app = $6)
  AND ($7::text IS NULL OR title ILIKE $7 OR filename ILIKE $7)
"""
_LIST = f"SELECT {_COLUMNS} FROM documents {_FILTER} ORDER BY created_at DESC, id LIMIT $8 OFFSET $9"
_COUNT = f"SELECT count(*) FROM documents {_FILTER}"
# One statement per transition: the stage stamp of the new status, error text kept only for `error`,
# optional facts (pages, language, title, artifact paths) overwritten only when given. `new` restarts the pipeline.
_SET_STATUS = f"""
UPDATE documents SET
    status = $3::doc_status,
    error_text = CASE WHEN $3::doc_status = 'error' THEN COALESCE($4, error_text) END,
    page_count = COALESCE($5, page_count),
    lang = COALESCE($6, lang),
    title = COALESCE($7, title),
    docling_json_path = COALESCE($8, docling_json_path),
    markdown_path = COALESCE($9, markdown_path),
    parsed_at = CASE $3::doc_status WHEN 'parsed' THEN now() WHEN 'new' THEN NULL ELSE parsed_at END,
    chunked_at = CASE $3::doc_status WHEN 'chunked' THEN now() WHEN 'new' THEN NULL ELSE chunked_at END,
    indexed_at = CASE $3::doc_status WHEN 'indexed' THEN now() WHEN 'new' THEN NULL ELSE indexed_at END,
    updated_at_epoch = to_epoch_ms(now())
WHERE tenant_id = $1 AND id = $2
RETURNING {_COLUMNS}
"""
_SET_URI = f"""
UPDATE documents SET uri_s3 = $3, updated_at_epoch = to_epoch_ms(now())
WHERE tenant_id = $1 AND id = $2
RETURNING {_COLUMNS}
"""
_DELETE = "DELETE FROM documents WHERE tenant_id = $1 AND id = $2 RETURNING id"
_DELETE_MANY = "DELETE FROM documents WHERE tenant_id = $1 AND id = ANY($2::uuid[]) RETURNING id"
_LIVE = "SELECT id FROM documents WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND status = 'indexed'"
# The view has no tenant filter of its own: the documents row proves the id belongs to the tenant.
_METADATA = "SELECT get_document_metadata_base(d.id) FROM documents d WHERE d.tenant_id = $1 AND d.id = $2"


def _doc(row: Any) -> Document:
    return Document.model_validate(dict(row))


def _like_pattern(text: str | None) -> str | None:
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class DocumentRepository:
    """Rows of `documents`. Invariants: every statement is filtered by tenant_id, so another tenant's id reads as
    absent; a tenant holds a given checksum at most once (UNIQUE (tenant_id, checksum)); stage stamps
    (parsed_at, chunked_at, indexed_at) and the epoch columns move with the status they describe."""

    async def create_or_get(
        self,
        conn: Executor,
        tenant_id: Id,
        *,
        checksum: str,
        filename: str | None,
        title: str | None = None,
        file_ext: str | None = None,
        mime_type: str | None = None,
        byte_size: int | None = None,
        source_type: SourceType | str = SourceType.FILE,
        external_id: str | None = None,
        source_app: str | None = None,
        project: str | None = None,
        workspace: str | None = None,
        sensitivity: str | None = None,
        tags: Sequence[str] | None = None,
        lang: str | None = None,
        doc_version: str | None = None,
        uri_s3: str | None = None,
    ) -> tuple[Document, bool]:
        """The tenant's document with this checksum, inserted when absent; race-safe (ON CONFLICT DO NOTHING).

        Returns:
            (document, created): created is False when the tenant already held this content.

        Raises:
            InvalidInput: no checksum, or neither a title nor a filename (the table's check constraint).
        """
        if not checksum:
            raise InvalidInput("a document needs a checksum")
        if not (title or filename):
            raise InvalidInput("a document needs a title or a filename")
        row = await conn.fetchrow(
            _INSERT, tenant_id, checksum, filename, title, file_ext, mime_type, byte_size, SourceType(source_type),
            external_id, source_app, project, workspace, sensitivity, list(tags) if tags is not None else None, lang,
            doc_version, uri_s3,
        )  # fmt: skip
        if row is not None:
            return _doc(row), True
        # The conflicting row was committed by someone else (the INSERT waited for it), so this read sees it.
        existing = await conn.fetchrow(_BY_CHECKSUM, tenant_id, checksum)
        if existing is None:  # deleted between the two statements: try once more rather than fail
            return await self.create_or_get(
                conn, tenant_id, checksum=checksum, filename=filename, title=title, file_ext=file_ext,
                mime_type=mime_type, byte_size=byte_size, source_type=source_type, external_id=external_id,
                source_app=source_app, project=project, workspace=workspace, sensitivity=sensitivity, tags=tags,
                lang=lang, doc_version=doc_version, uri_s3=uri_s3,
            )  # fmt: skip
        return _doc(existing), False

    async def get(self, conn: Executor, tenant_id: Id, document_id: Id) -> Document:
        """Raises: DocumentNotFound naming the id (also when it belongs to another tenant)."""
        row = await conn.fetchrow(_GET, tenant_id, document_id)
        if row is None:
            raise DocumentNotFound(f"document {document_id} not found")
        return _doc(row)

    async def get_many(self, conn: Executor, tenant_id: Id, document_ids: Sequence[Id]) -> list[Document]:
        """The tenant's documents among `document_ids`, oldest first; unknown ids are left out."""
        return [_doc(r) for r in await conn.fetch(_GET_MANY, tenant_id, [str(i) for i in document_ids])]

    async def find_previous_version(
        self,
        conn: Executor,
        tenant_id: Id,
        *,
        external_id: str | None,
        project: str | None,
        filename: str | None,
        exclude_id: Id,
    ) -> list[Document]:
        """Earlier versions of a document: same external_id when given, else same filename in the same project."""
        rows = await conn.fetch(_PREVIOUS, tenant_id, exclude_id, external_id, project, filename)
        return [_doc(r) for r in rows]

    async def list(
        self,
        conn: Executor,
        tenant_id: Id,
        *,
        status: DocStatus | str | None = None,
        project: str | None = None,
        workspace: str | None = None,
        tags_any: Sequence[str] | None = None,
        source_app: str | None = None,
        search: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Document], int]:
        """A page of the tenant's documents, newest first, and the total matching the filters.

        Args:
            search: case-insensitive substring of the title or the filename (wildcards are taken literally).
            tags_any: documents carrying at least one of these tags.
        """
        args = (
            tenant_id,
            DocStatus(status) if status is not None else None,
            project,
            workspace,
            list(tags_any) if tags_any else None,
            source_app,
            _like_pattern(search),
        )
        rows = await conn.fetch(_LIST, *args, limit, offset)
        total = await conn.fetchval(_COUNT, *args)
        return [_doc(r) for r in rows], int(total)

    async def set_status(
        self,
        conn: Executor,
        tenant_id: Id,
        document_id: Id,
        status: DocStatus | str,
        *,
        error_text: str | None = None,
        page_count: int | None = None,
        lang: str | None = None,
        title: str | None = None,
        docling_json_path: str | None = None,
        markdown_path: str | None = None,
    ) -> Document:
        """Move a document to `status`, stamping the matching *_at column; any status but error clears error_text.

        Raises: DocumentNotFound naming the id.
        """
        row = await conn.fetchrow(
            _SET_STATUS, tenant_id, document_id, DocStatus(status), error_text, page_count, lang, title,
            docling_json_path, markdown_path,
        )  # fmt: skip
        if row is None:
            raise DocumentNotFound(f"document {document_id} not found")
        return _doc(row)

    async def set_uri(self, conn: Executor, tenant_id: Id, document_id: Id, uri_s3: str) -> Document:
        """Record where the raw upload lives. Raises: DocumentNotFound naming the id."""
        row = await conn.fetchrow(_SET_URI, tenant_id, document_id, uri_s3)
        if row is None:
            raise DocumentNotFound(f"document {document_id} not found")
        return _doc(row)

    async def delete(self, conn: Executor, tenant_id: Id, document_id: Id) -> bool:
        """Delete one document (artifacts cascade, jobs keep a NULL document_id); False when it was not there."""
        return await conn.fetchval(_DELETE, tenant_id, document_id) is not None

    async def delete_many(self, conn: Executor, tenant_id: Id, document_ids: Sequence[Id]) -> list[uuid.UUID]:
        """Delete the tenant's documents among `document_ids`; returns the ids actually deleted."""
        return [r["id"] for r in await conn.fetch(_DELETE_MANY, tenant_id, [str(i) for i in document_ids])]

    async def live_ids(self, conn: Executor, tenant_id: Id, document_ids: Sequence[Id]) -> set[str]:
        """The ids (as strings, like index payloads) among `document_ids` that are the tenant's and indexed."""
        if not document_ids:
            return set()
        return {str(r["id"]) for r in await conn.fetch(_LIVE, tenant_id, [str(i) for i in document_ids])}

    async def metadata_base(self, conn: Executor, tenant_id: Id, document_id: Id) -> dict[str, Any]:
        """The document's `metadata_base` (v_documents_metadata keys plus ingestion_job_id), tenant-checked.

        Raises: DocumentNotFound naming the id.
        """
        value = await conn.fetchval(_METADATA, tenant_id, document_id)
        if value is None:
            raise DocumentNotFound(f"document {document_id} not found")
        # A connection opened without the pool's codecs returns jsonb as text.
        return json.loads(value) if isinstance(value, str) else value
