"""Outlines a follow-up can point into: a document's numbered headings or the structure of the assistant's answer."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from aurora_mcp.conversation.lexicon import clean_text
from aurora_mcp.conversation.markers import SECTION_ID, heading_label, read_items
from aurora_mcp.ingest.models import Section

MAX_TITLE_CHARS = 200
MAX_LABEL_CHARS = 12

OutlineSource = Literal["document", "deliverable"]


class OutlineSection(BaseModel):
    """One entry of an outline: an id the user can cite (S2, S2.1), its title and the marker the user saw."""

    id: str = Field(description="S1, S1.2, … unique within the outline")
    title: str = Field(description=f"heading text only, at most {MAX_TITLE_CHARS} characters")
    label: str | None = Field(default=None, description="marker shown to the user: B, II, 3, 2.1, S3")
    level: int = Field(default=1, ge=1, le=12)
    page: int | None = None
    document_id: str | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        value = value.strip().upper()
        if not SECTION_ID.match(value):
            raise ValueError(f"section id must look like S1 or S2.1, got {value!r}")
        return value

    @field_validator("title")
    @classmethod
    def _clean_title(cls, value: str) -> str:
        value = clean_text(value, max_len=MAX_TITLE_CHARS)
        if not value:
            raise ValueError("section title is empty")
        return value

    @field_validator("label")
    @classmethod
    def _clean_label(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = clean_text(value, max_len=MAX_LABEL_CHARS).strip("().:").upper()
        return value or None


class Outline(BaseModel):
    """The sections a thread's follow-ups resolve against, in reading order; it never holds document text."""

    sections: list[OutlineSection]
    source: OutlineSource = "document"
    document_ids: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Outline:
        seen: set[str] = set()
        for section in self.sections:
            if section.id in seen:
                raise ValueError(f"duplicate section id in outline: {section.id}")
            seen.add(section.id)
        return self

    def get(self, section_id: str) -> OutlineSection | None:
        """The section with this id (case-insensitive), if any."""
        wanted = section_id.upper()
        return next((s for s in self.sections if s.id == wanted), None)

    def top_level(self) -> list[OutlineSection]:
        """The outermost sections in order: what "the second point" counts over."""
        if not self.sections:
            return []
        top = min(s.level for s in self.sections)
        return [s for s in self.sections if s.level == top]

    def descendants(self, parent: OutlineSection) -> list[OutlineSection]:
        """Every section nested under `parent`, by id prefix (S2 → S2.1, S2.1.3)."""
        prefix = parent.id + "."
        return [s for s in self.sections if s.id.startswith(prefix)]

    def children(self, parent: OutlineSection) -> list[OutlineSection]:
        """The sections directly under `parent`, in order."""
        nested = self.descendants(parent)
        if not nested:
            return []
        depth = min(s.id.count(".") for s in nested)
        return [s for s in nested if s.id.count(".") == depth]

    def to_thread_json(self) -> dict[str, Any]:
        """The `thread_state.last_outline` value: ids, titles and markers only, defaults left out."""
        extras = {"label", "level", "page", "document_id"}
        sections = [
            {"id": s.id, "title": s.title, **s.model_dump(include=extras, exclude_none=True, exclude_defaults=True)}
            for s in self.sections
        ]
        return {
            "sections": sections,
            "source": self.source,
            "document_ids": list(self.document_ids),
        }

    @classmethod
    def from_thread_json(cls, data: Mapping[str, Any] | str) -> Outline:
        """Read a stored `last_outline`, including the bare `{"sections": [{"id", "title"}]}` shape.

        Raises:
            pydantic.ValidationError: when the value is not an outline (a bad id, an empty title).
        """
        payload = json.loads(data) if isinstance(data, str) else dict(data)
        return cls.model_validate(payload)


def outline_from_sections(sections: Sequence[Section], document_id: str) -> Outline:
    """The outline of one ingested document; a heading's own numbering ("2.1 Scope", "II. Method") becomes its label.

    Args:
        sections: the document's numbered headings, as ingestion produced them.
        document_id: the document the sections belong to.

    Returns:
        An outline with source "document"; titles keep their own numbering, which is also what retrieval sees.
    """
    entries = [
        OutlineSection(
            id=section.section_id,
            title=section.title,
            label=heading_label(section.title),
            level=section.level,
            page=section.page,
            document_id=document_id,
        )
        for section in sections
    ]
    return Outline(sections=entries, source="document", document_ids=[document_id])


def outline_from_deliverable(items: Sequence[str | Mapping[str, Any]], document_ids: Sequence[str] = ()) -> Outline:
    """The outline of the assistant's own answer, from its headings ("A. Budget", "II. Méthode", "S3 — Timeline").

    Strings carry their marker and nesting (indentation, or marker style: "I." above "A." above "1."); mappings may
    give `title`, `label`, `level`, `page` and `document_id` explicitly. Markers become labels so "point B" finds the
    item labelled B; ids are S1, S1.1, … by nesting, unless every item is itself marked with a distinct S-id.

    Raises:
        ValueError: when a mapping item has no title, or no item has a title at all.
    """
    sections = [
        OutlineSection(
            id=item.id,
            title=item.title,
            label=None if item.label == item.id else item.label,
            level=item.id.count(".") + 1,
            page=item.page,
            document_id=item.document_id,
        )
        for item in read_items(items)
    ]
    doc_ids = list(dict.fromkeys([*document_ids, *(s.document_id for s in sections if s.document_id)]))
    return Outline(sections=sections, source="deliverable", document_ids=doc_ids)
