"""Typed results of parsing and chunking: what the ingestion service stores, indexes and outlines."""

from __future__ import annotations

from pydantic import BaseModel, Field

CHUNK_SCHEMA_VERSION = 1


class Section(BaseModel):
    """A heading of the document with its outline number (S1, S1.1, …)."""

    section_id: str = Field(description="S1, S1.2, … in document order, by heading level")
    title: str
    level: int = Field(ge=1)
    page: int | None = None
    ordinal: int = Field(description="position among all sections, 0-based")
    item_ref: str | None = Field(default=None, description="self_ref of the heading in the docling JSON")


class ParsedDocument(BaseModel):
    """docling's conversion, kept as JSON (lossless) and markdown (for reading), plus the numbered outline."""

    title: str | None
    page_count: int | None
    docling_json: str = Field(description="DoclingDocument.model_dump_json(): the artifact and chunker input")
    markdown: str
    sections: list[Section]
    pipeline: str = Field(description="which docling pipeline produced it: simple, native-pdf, layout-pdf, …")
    lang: str | None = None


class Chunk(BaseModel):
    """One retrieval unit. `embed_text` (headings + text) is what is embedded; `text` is what is shown."""

    schema_version: int = CHUNK_SCHEMA_VERSION
    chunk_index: int
    text: str
    embed_text: str
    heading_path: list[str] = Field(default_factory=list)
    section_id: str | None = None
    section_title: str | None = None
    pages: list[int] = Field(default_factory=list)
