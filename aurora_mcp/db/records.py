"""Row models of the PostgreSQL tables, one pydantic model per table, fields named and typed as the columns."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field


class DocStatus(StrEnum):
    """`doc_status`: new → parsed → chunked → indexed, or error (with `error_text`)."""

    NEW = "new"
    PARSED = "parsed"
    CHUNKED = "chunked"
    INDEXED = "indexed"
    ERROR = "error"


class JobStatus(StrEnum):
    """`job_status`: queued → running → done | failed | skipped (skipped = same checksum already indexed)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class SourceType(StrEnum):
    """`source_type`: where a document came from."""

    FILE = "file"
    WEB = "web"
    GDRIVE = "gdrive"
    WEBDAV = "webdav"
    EMAIL = "email"
    API = "api"
    DOC = "doc"


class ArtifactKind(StrEnum):
    """`asset_kind`: what an object in the store is (migration 46 adds `original`, the raw upload)."""

    IMAGE = "image"
    TABLE = "table"
    FIGURE = "figure"
    DOCLING_JSON = "docling_json"
    MARKDOWN = "markdown"
    DOCLING_ANALYSIS_JSON = "docling_analysis_json"
    ORIGINAL = "original"


class _Row(BaseModel):
    # Rows are snapshots: frozen so a service cannot mistake editing one for writing to the database.
    model_config = ConfigDict(frozen=True)


class Tenant(_Row):
    """`tenants`: the unit of isolation; every other row belongs to exactly one tenant."""

    id: uuid.UUID
    slug: str
    name: str
    created_at: dt.datetime


class Document(_Row):
    """`documents`: one ingested file (or other source) of a tenant, unique per (tenant_id, checksum)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    source_type: SourceType | None = SourceType.FILE
    uri_s3: str | None = None
    external_id: str | None = None
    source_app: str | None = None
    project: str | None = None
    workspace: str | None = None
    notebook_id: str | None = None
    note_id: str | None = None
    sensitivity: str | None = None
    title: str | None = None
    filename: str | None = None
    file_ext: str | None = None
    mime_type: str | None = None
    byte_size: int | None = None
    checksum: str | None = None
    lang: str | None = None
    page_count: int | None = None
    doc_version: str | None = None
    tags: list[str] | None = None
    status: DocStatus = DocStatus.NEW
    error_text: str | None = None
    docling_json_path: str | None = None
    markdown_path: str | None = None
    cold_storage_bucket: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
    parsed_at: dt.datetime | None = None
    chunked_at: dt.datetime | None = None
    indexed_at: dt.datetime | None = None
    created_at_epoch: int | None = None
    updated_at_epoch: int | None = None


class Artifact(_Row):
    """`artifacts`: an object written for a document (raw upload, docling JSON, markdown, page assets)."""

    id: uuid.UUID
    document_id: uuid.UUID
    kind: ArtifactKind
    page_no: int | None = None
    uri_s3: str
    extra: dict[str, Any] | None = None
    created_at: dt.datetime
    size_bytes: int | None = None


class IngestionJob(_Row):
    """`ingestion_jobs`: one ingestion attempt and its metrics (`metrics.attempts` counts worker claims)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    document_id: uuid.UUID | None = None
    status: JobStatus = JobStatus.QUEUED
    params: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    worker: str | None = None
    logs: str | None = None
    error: str | None = None
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    source: dict[str, Any] | None = None


class QueryLogEntry(_Row):
    """`queries_log`: one search, with the follow-up observability columns of migration 43.

    The caller supplies `id` so the answer can cite it (thread_state.last_answer_query_id) before the row is written;
    `created_at` left unset means "now" at insert time.
    """

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    tenant_id: uuid.UUID
    user_email: str | None = None
    question: str
    mmr_lambda: float | None = None
    k: int | None = None
    fetch_k: int | None = None
    filters: dict[str, Any] | None = None
    latency_ms: int | None = None
    model: str | None = None
    citations: list[dict[str, Any]] | None = None
    created_at: dt.datetime | None = None
    thread_id: str | None = None
    caller_app: str | None = None
    retrieval_query_final: str | None = None
    retrieval_queries_tried: list[str] | None = None
    retrieval_retry_count: int | None = None
    condense_used: bool | None = None
    condense_model: str | None = None
    followup_resolved: bool | None = None
    followup_section_id: str | None = None
    followup_section_title: str | None = None
    followup_ref_type: str | None = None


class ThreadState(_Row):
    """`thread_state`: what a conversation last looked at; outline ids and titles only, never document text."""

    tenant_id: uuid.UUID
    caller_app: str
    thread_id: str
    last_outline: dict[str, Any] | None = None
    last_doc_ids: list[str] | None = None
    last_titles: list[str] | None = None
    last_answer_query_id: uuid.UUID | None = None
    updated_at: dt.datetime


class ApiToken(_Row):
    """`api_tokens`: a bearer token of a tenant's caller app, stored as its SHA-256 only."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    caller_app: str
    label: str | None = None
    token_sha256: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None


class TokenIdentity(NamedTuple):
    """Who a valid bearer token speaks for."""

    tenant_id: uuid.UUID
    tenant_slug: str
    caller_app: str


class ApiKeyInfo(_Row):
    """`api_keys` without `key_cipher`: what may be shown of a tenant's provider key (never the secret)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    provider: str
    label: str | None = None
    created_at: dt.datetime
    last_used_at: dt.datetime | None = None


class ApiKeyCipher(NamedTuple):
    """A stored provider key as encrypted, with the row fields its associated data binds it to."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    provider: str
    label: str | None
    key_cipher: str
