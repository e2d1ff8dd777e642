"""Follow-up references: parse "S2", "point B", "le 2e point", "the last one" and resolve them against an outline."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from aurora_mcp.conversation.lexicon import EDGE_STOPWORDS, fold, fold_plain, roman_value, trim_edges
from aurora_mcp.conversation.outline import Outline, OutlineSection
from aurora_mcp.conversation.reference_parser import RefPart, RefType, scan_parts

__all__ = [
    "RefPart",
    "RefType",
    "Reference",
    "Resolution",
    "ResolutionStatus",
    "parse_reference",
    "resolve_message",
    "resolve_reference",
]

ResolutionStatus = Literal[
    "resolved", "resolved_many", "ambiguous", "out_of_range", "not_found", "no_reference", "no_outline"
]
MAX_CANDIDATES = 50

# "le point B de la partie II", "the second point of S2": the first reference sits inside the second.
_INNER_FIRST = re.compile(r"^\s*(?:of|in|from|within|under|de|du|des|d'|dans|sous)(?:\s+(?:the|la|le|l'|les))?\s*$")
# "partie II, point B", "S2's second point": the first reference contains the second (weaker evidence).
_OUTER_FIRST = re.compile(r"^\s*(?:[,:>/\-–—]|'s)\s*$")
_WORD = re.compile(r"[a-z0-9]+")


class Reference(BaseModel):
    """The outline references found in one message, in reading order."""

    message: str
    parts: list[RefPart] = Field(min_length=1)

    @property
    def ref_type(self) -> RefType:
        """The kind of the first reference, as logged in `queries_log.followup_ref_type`."""
        return self.parts[0].kind


class Resolution(BaseModel):
    """What a follow-up points at; on failure, the sections to offer the user instead."""

    status: ResolutionStatus
    ref_type: RefType | None = None
    matched_text: str | None = Field(default=None, description="the reference phrases as the user wrote them")
    spans: list[tuple[int, int]] = Field(default_factory=list, description="[start, end) of each phrase")
    sections: list[OutlineSection] = Field(default_factory=list, description="the target(s) when resolved")
    candidates: list[OutlineSection] = Field(default_factory=list, description="what to offer when not resolved")
    document_ids: list[str] = Field(default_factory=list, description="documents to search within")
    reason: str | None = None

    @property
    def resolved(self) -> bool:
        return self.status in ("resolved", "resolved_many")

    @property
    def section(self) -> OutlineSection | None:
        """The single target, when exactly one section was meant."""
        return self.sections[0] if self.status == "resolved" else None

    def log_fields(self) -> dict[str, Any]:
        """The `followup_*` columns of `queries_log`."""
        return {
            "followup_resolved": self.resolved,
            "followup_section_id": ",".join(s.id for s in self.sections) or None,
            "followup_section_title": " | ".join(s.title for s in self.sections) or None,
            "followup_ref_type": self.ref_type,
        }


def parse_reference(message: str) -> Reference | None:
    """The outline references in `message`, or None when it refers to no section (ordinary text stays None)."""
    parts = scan_parts(message)
    return Reference(message=message, parts=parts) if parts else None


def resolve_message(message: str, outline: Outline | None) -> Resolution:
    """Parse and resolve in one step; a message that names a section's title ("Risques et mitigations") counts too."""
    ref = parse_reference(message)
    if ref is None and outline is not None:
        ref = _title_in_message(message, outline)
    return resolve_reference(ref, outline)


def resolve_reference(ref: Reference | None, outline: Outline | None) -> Resolution:
    """Find the section(s) `ref` means in `outline`.

    Args:
        ref: the parsed references, or None when the message had none.
        outline: the thread's `last_outline`, or None when the thread has none yet.

    Returns:
        resolved (one section), resolved_many ("compare S1 and S3"), ambiguous (candidates listed), out_of_range
        ("S9" of five), not_found (a title cue matching nothing), no_reference or no_outline.
    """
    if outline is None or not outline.sections:
        return Resolution(status="no_outline", ref_type=ref.ref_type if ref else None, reason="no outline yet")
    if ref is not None:
        kept = [part for part in ref.parts if not part.weak or _weak_part_applies(part, outline)]
        ref = Reference(message=ref.message, parts=kept) if kept else None
    if ref is None:
        return Resolution(status="no_reference", document_ids=list(outline.document_ids))
    scoped = _scoped(ref, outline)
    if scoped is not None:
        return scoped
    matches = [(part, *_match(part, outline, None)) for part in ref.parts]
    for part, found, reason in matches:
        if not found:
            status = "not_found" if part.kind == "title" else "out_of_range"
            return _result(status, ref, part.kind, outline, [], _offer(outline), reason)
    unclear = [(part, found) for part, found, _ in matches if len(found) > 1]
    if unclear:
        part, found = unclear[0]
        reason = f"{part.text.strip()!r} matches {', '.join(s.id for s in found)}"
        return _result("ambiguous", ref, part.kind, outline, [], _unique([s for _, f in unclear for s in f]), reason)
    sections = _unique([found[0] for _, found, _ in matches])
    return _result("resolved" if len(sections) == 1 else "resolved_many", ref, ref.ref_type, outline, sections, [])


def _weak_part_applies(part: RefPart, outline: Outline) -> bool:
    """ "Step 3" or "option B" means the outline only when the outline itself is made of such labelled items."""
    if part.kind == "ordinal":
        return outline.source == "deliverable"
    return any(s.label == part.value for s in outline.sections)


def _scoped(ref: Reference, outline: Outline) -> Resolution | None:
    """Two references where one sits inside the other ("le point B de la partie II") name one nested section."""
    if len(ref.parts) != 2:
        return None
    first, second = ref.parts
    between = fold_plain(ref.message[first.end : second.start])
    strong = bool(_INNER_FIRST.match(between))
    if strong:
        inner, outer = first, second
    elif _OUTER_FIRST.match(between) and first.kind != second.kind:
        outer, inner = first, second
    else:
        return None
    if inner.kind in ("section_id", "title"):
        return None
    containers, _ = _match(outer, outline, None)
    if len(containers) != 1:
        return None
    found, reason = _match(inner, outline, containers[0])
    if len(found) == 1:
        return _result("resolved", ref, inner.kind, outline, found, [])
    if not strong:
        return None  # "partie II, point B" may also list two sections: let the unscoped reading decide
    if found:
        return _result("ambiguous", ref, inner.kind, outline, [], found, f"{inner.text.strip()!r} is ambiguous")
    return _result("out_of_range", ref, inner.kind, outline, [], _offer(outline), reason)


def _match(part: RefPart, outline: Outline, scope: OutlineSection | None) -> tuple[list[OutlineSection], str | None]:
    """Sections `part` may mean (inside `scope` when given), and why none when the list is empty."""
    pool = outline.descendants(scope) if scope else outline.sections
    ordered = outline.children(scope) if scope else outline.top_level()
    where = f"under {scope.id}" if scope else "in the outline"
    said = part.text.strip()
    if part.kind == "section_id":
        value = part.value
        ids, labels = ({value}, {value}) if value.startswith("S") else ({"S" + value}, {value, "S" + value})
        found = [s for s in outline.sections if s.id in ids or s.label in labels]
        return found, None if found else f"{said}: no such section {where} ({_span(outline)})"
    if part.kind == "number":
        wanted_id = f"{scope.id}.{part.value}" if scope else f"S{part.value}"
        found = [s for s in pool if s.label == part.value or s.id == wanted_id]
        return found, None if found else f"{said}: no item numbered {part.value} {where}"
    if part.kind in ("letter", "roman"):
        found = [s for s in pool if s.label == part.value]
        if found:
            return found, None
        if part.index and not any(_labelled_like(s.label, part.kind) for s in pool):
            return _nth(ordered, part.index, said, where)  # no such markers at all: "point B" means the 2nd
        labels = ", ".join(s.label for s in pool if s.label)
        return [], f"{said}: no item labelled {part.value} {where} (labels: {labels})"
    if part.kind == "ordinal":
        return _nth(ordered, part.index or 0, said, where)
    found = _title_matches(part.value, pool)
    return found, None if found else f"{said}: no section title matches {part.value!r}"


def _nth(ordered: list[OutlineSection], k: int, said: str, where: str) -> tuple[list[OutlineSection], str | None]:
    if 0 < k <= len(ordered) or (k < 0 and -k <= len(ordered)):
        return [ordered[k - 1 if k > 0 else k]], None
    return [], f"{said}: there are {len(ordered)} items {where}"


def _labelled_like(label: str | None, kind: str) -> bool:
    if not label or not label.isalpha():
        return False
    if kind == "letter":
        return len(label) == 1
    # Only I, V, X, L count: a "C" or "D" label belongs to a lettered list, not to numerals 100 and 500.
    return set(label) <= set("IVXL") and roman_value(label) is not None


def _title_matches(phrase: str, pool: list[OutlineSection]) -> list[OutlineSection]:
    """Sections whose title shares most of the phrase's content words; only the best-scoring ones."""
    exact = [s for s in pool if fold_plain(s.title) == fold_plain(phrase).strip()]
    if exact:
        return exact
    words = _content_words(phrase)
    if not words:
        return []
    scored = [(sum(any(_similar(w, t) for t in _content_words(s.title)) for w in words), s) for s in pool]
    best = max(score for score, _ in scored)
    if best < max(1, (len(words) + 1) // 2):
        return []
    return [s for score, s in scored if score == best]


def _content_words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(fold_plain(text)) if len(w) >= 3 and w not in EDGE_STOPWORDS]


def _stem(word: str) -> str:
    # "qu" → "k" lets "risques" meet "risks"; plural and final e go so "méthodes" meets "method".
    word = word.replace("qu", "k")
    for suffix in ("s", "x", "e"):
        if len(word) > 4 and word.endswith(suffix):
            word = word[:-1]
    return word


def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    shorter = min(len(a), len(b))
    common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), shorter)
    return shorter >= 4 and common >= min(5, shorter)


def _title_in_message(message: str, outline: Outline) -> Reference | None:
    """A message that is a section title, or quotes a long one verbatim, refers to that section."""
    folded, origin = fold(message)
    start, end = trim_edges(folded, 0, len(folded), words=EDGE_STOPWORDS)
    hits = []
    for section in outline.sections:
        title = fold_plain(section.title)
        if title == folded[start:end]:
            hits.append((start, end, section))
        elif len(title) >= 10 and len(_content_words(title)) >= 2:
            m = re.search(rf"(?<!\w){re.escape(title)}(?!\w)", folded)
            if m:
                hits.append((m.start(), m.end(), section))
    if len({s.id for *_, s in hits}) != 1:
        return None
    a, b, section = hits[0]
    a, b = origin[a], origin[b - 1] + 1
    part = RefPart(kind="title", value=section.title, text=message[a:b], start=a, end=b)
    return Reference(message=message, parts=[part])


def _result(
    status: ResolutionStatus,
    ref: Reference,
    ref_type: RefType,
    outline: Outline,
    sections: list[OutlineSection],
    candidates: list[OutlineSection],
    reason: str | None = None,
) -> Resolution:
    doc_ids = _unique_str([s.document_id for s in sections if s.document_id]) or list(outline.document_ids)
    return Resolution(
        status=status,
        ref_type=ref_type,
        matched_text=" ".join(p.text.strip() for p in ref.parts),
        spans=[(p.start, p.end) for p in ref.parts],
        sections=sections,
        candidates=candidates[:MAX_CANDIDATES],
        document_ids=doc_ids,
        reason=reason,
    )


def _offer(outline: Outline) -> list[OutlineSection]:
    """Everything when the outline is short, else its top level: enough for the assistant to ask back."""
    return outline.sections if len(outline.sections) <= MAX_CANDIDATES else outline.top_level()


def _span(outline: Outline) -> str:
    top = outline.top_level()
    return f"{top[0].id}–{top[-1].id}" if len(top) > 1 else top[0].id


def _unique(sections: list[OutlineSection]) -> list[OutlineSection]:
    return list({s.id: s for s in sections}.values())


def _unique_str(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
