"""What the conversation tools return: outlines, thread views and follow-up resolutions."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from aurora_mcp.retrieval.models import SearchResponse


class OutlineItem(BaseModel):
    id: str = Field(description="S1, S1.2, … (or the deliverable's own marker)")
    title: str
    label: str | None = Field(default=None, description="letter, number or roman numeral shown in the deliverable")
    level: int = 1
    page: int | None = None


class OutlineResponse(BaseModel):
    source: Literal["document", "deliverable"]
    document_ids: list[str]
    title: str | None = None
    sections: list[OutlineItem]
    thread_id: str | None = None
    stored_in_thread: bool = False


class ThreadView(BaseModel):
    """A thread's safe state: section ids and titles, document ids and titles — never document text."""

    thread_id: str
    caller_app: str
    outline: OutlineResponse | None
    last_doc_ids: list[str]
    last_titles: list[str]
    last_answer_query_id: str | None
    updated_at: datetime | None


class FollowupResponse(BaseModel):
    resolved: bool
    reason: str | None = Field(default=None, description="why it could not be resolved (ask the user)")
    ref_type: str | None = None
    matched_text: str | None = None
    section_id: str | None = None
    section_title: str | None = None
    document_ids: list[str] = Field(default_factory=list, description="documents to search within")
    standalone_query: str | None = None
    condense_used: bool = False
    condense_model: str | None = None
    sections: list[OutlineItem] = Field(default_factory=list, description="the outline, to ask which one was meant")
    search: SearchResponse | None = None
