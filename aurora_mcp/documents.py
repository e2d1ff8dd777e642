"""Document lifecycle outside ingestion: list, read back (markdown, outline), and delete everywhere at once."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, Field

from aurora_mcp.db.records import Document
from aurora_mcp.db.repositories.artifacts import ArtifactRepository
from aurora_mcp.db.repositories.documents import DocumentRepository
from aurora_mcp.db.repositories.jobs import JobRepository
from aurora_mcp.errors import NotFound
from aurora_mcp.ids import parse_uuid
from aurora_mcp.index.base import IndexFilter, VectorIndex
from aurora_mcp.ingest.models import Section
from aurora_mcp.scope import TenantScope
from aurora_mcp.storage.base import ARTIFACTS_BUCKET, UPLOADS_BUCKET, ObjectStore

logger = logging.getLogger(__name__)

OUTLINE_ARTIFACT = "outline.json"


class DocumentSummary(BaseModel):
    """What a caller sees of a document (never its text)."""

    document_id: str
    title: str | None
    filename: str | None
    file_ext: str | None
    status: str
    error_text: str | None = None
    page_count: int | None = None
    byte_size: int | None = None
    lang: str | None = None
    project: str | None = None
    workspace: str | None = None
    tags: list[str] = Field(default_factory=list)
    sensitivity: str | None = None
    source_app: str | None = None
    external_id: str | None = None
    created_at: datetime | None = None
    indexed_at: datetime | None = None

    @classmethod
    def from_record(cls, doc: Document) -> DocumentSummary:
        return cls(
            document_id=str(doc.id),
            title=doc.title,
            filename=doc.filename,
            file_ext=doc.file_ext,
            status=str(doc.status),
            error_text=doc.error_text,
            page_count=doc.page_count,
            byte_size=doc.byte_size,
            lang=doc.lang,
            project=doc.project,
            workspace=doc.workspace,
            tags=list(doc.tags or []),
            sensitivity=doc.sensitivity,
            source_app=doc.source_app,
            external_id=doc.external_id,
            created_at=doc.created_at,
            indexed_at=doc.indexed_at,
        )


class DocumentDetail(DocumentSummary):
    chunk_count: int = 0
    section_count: int = 0
    artifacts: list[dict[str, Any]] = Field(default_factory=list)
    last_job_id: str | None = None
    last_job_status: str | None = None


class DocumentPage(BaseModel):
    documents: list[DocumentSummary]
    total: int
    limit: int
    offset: int


class DeleteResult(BaseModel):
    document_id: str
    deleted: bool
    points_removed: int
    objects_removed: int


class DocumentService:
    """Reads and deletes documents of one tenant; every call is scoped by `TenantScope.tenant_id`."""

    def __init__(self, *, pool: asyncpg.Pool, index: VectorIndex, store: ObjectStore) -> None:
        self._pool = pool
        self._index = index
        self._store = store
        self._documents = DocumentRepository()
        self._artifacts = ArtifactRepository()
        self._jobs = JobRepository()

    async def list(
        self,
        scope: TenantScope,
        *,
        status: str | None = None,
        project: str | None = None,
        workspace: str | None = None,
        tags_any: list[str] | None = None,
        search: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> DocumentPage:
        docs, total = await self._documents.list(
            self._pool,
            scope.tenant_id,
            status=status,
            project=project,
            workspace=workspace,
            tags_any=tags_any,
            search=search,
            limit=limit,
            offset=offset,
        )
        return DocumentPage(
            documents=[DocumentSummary.from_record(d) for d in docs], total=total, limit=limit, offset=offset
        )

    async def get_record(self, scope: TenantScope, document_id: str) -> Document:
        return await self._documents.get(self._pool, scope.tenant_id, parse_uuid(document_id, field="document_id"))

    async def get(self, scope: TenantScope, document_id: str) -> DocumentDetail:
        doc = await self.get_record(scope, document_id)
        artifacts = await self._artifacts.list_for_document(self._pool, scope.tenant_id, str(doc.id))
        jobs = await self._jobs.list_for_document(self._pool, scope.tenant_id, str(doc.id))
        chunk_count = await self._index.count(IndexFilter(tenant_id=scope.tenant_id, document_ids=[str(doc.id)]))
        sections = await self.sections(scope, str(doc.id))
        detail = DocumentDetail(
            **DocumentSummary.from_record(doc).model_dump(),
            chunk_count=chunk_count,
            section_count=len(sections),
            artifacts=[
                {"kind": str(a.kind), "uri": a.uri_s3, "size_bytes": a.size_bytes, "page_no": a.page_no}
                for a in artifacts
            ],
        )
        if jobs:
            detail.last_job_id = str(jobs[0].id)
            detail.last_job_status = str(jobs[0].status)
        return detail

    async def markdown(self, scope: TenantScope, document_id: str) -> str:
        doc = await self.get_record(scope, document_id)
        if not doc.markdown_path:
            raise NotFound(f"document {doc.id} has no markdown yet (status {doc.status})")
        bucket, key = _split_uri(doc.markdown_path)
        return (await self._store.get_bytes(bucket, key)).decode("utf-8")

    async def sections(self, scope: TenantScope, document_id: str) -> list[Section]:
        """The numbered outline stored at ingestion (in the outline artifact's `extra`, so no object read)."""
        artifacts = await self._artifacts.list_for_document(self._pool, scope.tenant_id, document_id)
        for artifact in artifacts:
            extra = artifact.extra or {}
            if extra.get("name") == OUTLINE_ARTIFACT:
                return [Section.model_validate(s) for s in extra.get("sections", [])]
        return []

    async def delete(self, scope: TenantScope, document_id: str) -> DeleteResult:
        """Rows first (search post-filters on live rows, so the document vanishes at once), then points, objects."""
        doc = await self.get_record(scope, document_id)
        return await self.purge(scope, doc)

    async def purge(self, scope: TenantScope, doc: Document) -> DeleteResult:
        doc_id = str(doc.id)
        points = await self._index.count(IndexFilter(tenant_id=scope.tenant_id, document_ids=[doc_id]))
        deleted = await self._documents.delete(self._pool, scope.tenant_id, doc_id)
        await self._index.delete_document(scope.tenant_id, doc_id)
        prefix = f"{scope.tenant_id}/{doc_id}/"
        objects = 0
        for bucket in (UPLOADS_BUCKET, ARTIFACTS_BUCKET):
            objects += await self._store.delete_prefix(bucket, prefix)
        logger.info("deleted document %s: %d points, %d objects", doc_id, points, objects)
        return DeleteResult(document_id=doc_id, deleted=deleted, points_removed=points, objects_removed=objects)


def _split_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/key` → (bucket, key)."""
    rest = uri.removeprefix("s3://")
    bucket, _, key = rest.partition("/")
    return bucket, key
