"""The search request, its validated filters and the cited results, shared by the service and the MCP tool."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aurora_mcp.index.base import IndexFilter, SearchMode

# Chosen by bench/quality.py on the PostgreSQL manual (bench/README.md). MMR at λ=0.9 costs nothing measurable there
# (nDCG@10 0.656 vs 0.657 without, index terms; 0.341 vs 0.342, questions) while still breaking ties between
# near-duplicate chunks; λ=0.7 cost 0.007 / 0.013 and a tenth of recall@100 on questions. fetch_k 100 gained 0.002.
DEFAULT_K = 8
DEFAULT_FETCH_K = 100
DEFAULT_MMR_LAMBDA = 0.9
MAX_QUERY_CHARS = 2000


def _as_list(value: Any) -> Any:
    """Accept a single string where a list of strings is expected: `"tags": "hr"` means `["hr"]`."""
    if isinstance(value, str):
        return [value]
    return value


class SearchFilters(BaseModel):
    """Metadata filters, ANDed; a list means "any of". Unknown fields are refused, never silently ignored."""

    model_config = ConfigDict(extra="forbid")

    project: list[str] | None = Field(default=None, description="project name(s)")
    workspace: list[str] | None = Field(default=None, description="workspace name(s)")
    tags_any: list[str] | None = Field(default=None, description="documents with at least one of these tags")
    tags_all: list[str] | None = Field(default=None, description="documents with every one of these tags")
    source_app: list[str] | None = None
    sensitivity: list[str] | None = None
    lang: list[str] | None = Field(default=None, description="language code(s), e.g. fr, en")
    file_ext: list[str] | None = Field(default=None, description="extension(s) without dot, e.g. pdf, docx")
    document_ids: list[str] | None = Field(default=None, description="restrict to these document ids")
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None

    @field_validator(
        "project",
        "workspace",
        "tags_any",
        "tags_all",
        "source_app",
        "sensitivity",
        "lang",
        "file_ext",
        "document_ids",
        mode="before",
    )
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("file_ext")
    @classmethod
    def _strip_dots(cls, value: list[str] | None) -> list[str] | None:
        return [v.lower().lstrip(".") for v in value] if value else value

    def is_empty(self) -> bool:
        return not any(v for v in self.model_dump().values())

    def to_index_filter(self, tenant_id: str) -> IndexFilter:
        """The tenant comes from the connection, never from the caller: it is set here and cannot be overridden."""
        return IndexFilter(
            tenant_id=tenant_id,
            document_ids=self.document_ids,
            project=self.project,
            workspace=self.workspace,
            source_app=self.source_app,
            sensitivity=self.sensitivity,
            lang=self.lang,
            file_ext=self.file_ext,
            tags_any=self.tags_any,
            tags_all=self.tags_all,
            created_from_ms=_ms(self.created_after),
            created_to_ms=_ms(self.created_before),
            updated_from_ms=_ms(self.updated_after),
            updated_to_ms=_ms(self.updated_before),
        )


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(description="natural-language question or keywords")
    k: int = Field(default=DEFAULT_K, ge=1, le=50, description="number of passages to return")
    fetch_k: int = Field(default=DEFAULT_FETCH_K, ge=1, le=500, description="candidates considered before MMR")
    mmr_lambda: float | None = Field(
        default=DEFAULT_MMR_LAMBDA, ge=0, le=1, description="1 = pure relevance, lower = more diverse; null = off"
    )
    filters: SearchFilters = Field(default_factory=SearchFilters)
    mode: SearchMode = SearchMode.HYBRID
    thread_id: str | None = Field(default=None, description="conversation id; updates the thread's last documents")
    group_by_document: bool = False

    @field_validator("query")
    @classmethod
    def _query_not_blank(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("query is empty: ask a question or give keywords")
        # The embedder truncates to its window anyway; this bounds the BM25 side and the log row.
        return value[:MAX_QUERY_CHARS]

    @model_validator(mode="after")
    def _fetch_k_covers_k(self) -> SearchRequest:
        if self.fetch_k < self.k:
            self.fetch_k = self.k
        return self


class Citation(BaseModel):
    """One passage and where it comes from; `text` is the chunk as stored (headings are in `heading_path`)."""

    rank: int
    document_id: str
    title: str | None
    filename: str | None
    section_id: str | None
    section_title: str | None
    heading_path: list[str]
    pages: list[int]
    chunk_index: int
    score: float
    text: str


class DocumentGroup(BaseModel):
    document_id: str
    title: str | None
    filename: str | None
    citations: list[Citation]


class SearchResponse(BaseModel):
    query_id: str
    query: str
    retrieval_query_final: str
    retrieval_queries_tried: list[str]
    retrieval_retry_count: int
    latency_ms: int
    results: list[Citation]
    groups: list[DocumentGroup] | None = None


class FollowupContext(BaseModel):
    """What `resolve_followup` learned, carried into the search and its log row."""

    resolved: bool = False
    section_id: str | None = None
    section_title: str | None = None
    ref_type: str | None = None
    condense_used: bool = False
    condense_model: str | None = None
    fallback_queries: list[str] = Field(default_factory=list)
    mode: Literal["followup"] = "followup"
