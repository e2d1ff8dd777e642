"""What callers pass to and get from ingestion: metadata, per-file results, job views, the progress callback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

ProgressCallback = Callable[[float, float | None, str], Awaitable[None]]


class DocumentMetadata(BaseModel):
    """Caller-supplied metadata; every field ends up in the chunk payload and can be filtered on."""

    title: str | None = Field(default=None, description="overrides the title docling finds")
    project: str | None = None
    workspace: str | None = None
    tags: list[str] = Field(default_factory=list)
    sensitivity: str | None = None
    source_app: str | None = None
    external_id: str | None = Field(default=None, description="stable id in the source system; new content replaces")
    doc_version: str | None = None


class IngestResult(BaseModel):
    job_id: str
    document_id: str | None
    status: Literal["done", "skipped", "failed"]
    filename: str
    title: str | None = None
    pages: int | None = None
    chunks: int = 0
    sections: int = 0
    reason: str | None = Field(default=None, description="why it was skipped or failed")
    replaced_document_ids: list[str] = Field(default_factory=list)
    metrics: dict[str, Any] = Field(default_factory=dict)


class JobView(BaseModel):
    job_id: str
    status: str
    document_id: str | None
    filename: str | None
    error: str | None
    metrics: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
