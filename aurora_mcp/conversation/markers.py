"""Heading markers ("A.", "II.", "1.2", "S3 —") and the nesting and S-ids a marked list of items implies."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aurora_mcp.conversation.lexicon import letter_value, roman_value

SECTION_ID = re.compile(r"^S\d{1,4}(?:\.\d{1,4})*$")

# A leading marker: optional noun ("Partie", "Step"), then an S-id, a (dotted) number, or a letter/roman numeral.
# Letters and romans need punctuation after them so "A Study of X" or "IV Fluids" keep their first word.
_MARKER = re.compile(
    r"^(?:(?:partie|part|chapitre|chapter|section|[ée]tape|step|point|axe)\s+(?=\S+\s*[:.)\-–—]))?"
    r"(?:(?P<sid>S\d{1,3}(?:\.\d{1,3})*)(?:\s*[:.)\-–—]\s*|\s+)"
    r"|(?P<num>\d{1,2}(?:\.\d{1,2})*)(?:[.)]\s*|\s*[:\-–—]\s+|\s+)"
    r"|\(?(?P<alpha>[a-z]|[ivxl]{2,7})(?:[.)](?![a-z]\.)\s*|\s*[:\-–—]\s+))"
    r"(?=\S)",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?:[-*•·–]\s+)?")
_NUMBER = re.compile(r"^\d{1,3}(?:\.\d{1,3})*$")

Style = tuple[str, str | None]  # (sid | num | letter | roman | other, upper | lower | None)


@dataclass
class Item:
    """One deliverable heading on its way to becoming an outline section."""

    title: str
    label: str | None = None
    kind: str | None = None  # sid, num, alpha or other, as written
    style: Style | None = None
    indent: int = 0
    level: int | None = None
    page: int | None = None
    document_id: str | None = None
    id: str = ""


def heading_label(title: str) -> str | None:
    """The marker a heading carries ("2.1 Scope" → "2.1", "II. Méthode" → "II"), if any."""
    item = _parse(title.strip())
    return item.label.upper() if item.label else None


def read_items(items: Sequence[str | Mapping[str, Any]]) -> list[Item]:
    """Parse deliverable headings, read each marker's style, nest them and number them S1, S1.1, ….

    Raises:
        ValueError: when a mapping item has no title, or no item has a title at all.
    """
    parsed = [_item(raw) for raw in items if not (isinstance(raw, str) and not raw.strip())]
    if not parsed:
        raise ValueError("a deliverable outline needs at least one titled item")
    _assign_styles(parsed)
    sids = [i.label for i in parsed if i.style == ("sid", None)]
    if len(sids) == len(parsed) and len(set(sids)) == len(sids):
        ids = [str(sid) for sid in sids]  # every item carries its own distinct S-id: keep them
    else:
        ids = _nested_ids(_levels(parsed))
    for item, section_id in zip(parsed, ids, strict=True):
        item.id = section_id
    return parsed


def _item(raw: str | Mapping[str, Any]) -> Item:
    if not isinstance(raw, Mapping):
        bullet = _BULLET.match(raw)
        item = _parse(raw[bullet.end() :].strip() if bullet else raw.strip())
        item.indent = len(bullet["indent"].expandtabs(4)) if bullet else 0
        return item
    if not str(raw.get("title") or "").strip():
        raise ValueError(f"deliverable item has no title: {dict(raw)!r}")
    label = str(raw["label"]).strip("().: ") if raw.get("label") is not None else ""
    item = _parse(str(raw["title"]).strip()) if not label else Item(title=str(raw["title"]).strip())
    if label:
        item.label, item.kind = label, _label_kind(label)
    item.level, item.page, item.document_id = raw.get("level"), raw.get("page"), raw.get("document_id")
    return item


def _parse(text: str) -> Item:
    marker = _MARKER.match(text)
    if marker is None or (marker["alpha"] and not _valid_alpha(marker["alpha"])):
        return Item(title=text)
    kind = "sid" if marker["sid"] else "num" if marker["num"] else "alpha"
    return Item(title=text[marker.end() :], label=marker["sid"] or marker["num"] or marker["alpha"], kind=kind)


def _valid_alpha(token: str) -> bool:
    return len(token) == 1 or roman_value(token) is not None


def _label_kind(label: str) -> str:
    if SECTION_ID.match(label.upper()):
        return "sid"
    if _NUMBER.match(label):
        return "num"
    return "alpha" if label.isalpha() and _valid_alpha(label) else "other"


def _assign_styles(items: list[Item]) -> None:
    """Give each marker a style and a canonical label; "I", "C", "V" are read from the list they continue."""
    last: dict[Style, int] = {}
    for item in items:
        if item.label is None or item.kind is None:
            continue
        token = item.label
        item.label = token.upper()
        if item.kind != "alpha":
            item.style = (item.kind, None)
            continue
        item.style = _letter_or_roman(token, "lower" if token.islower() else "upper", last)
        last[item.style] = letter_value(token) if item.style[0] == "letter" else roman_value(token) or 0


def _letter_or_roman(token: str, case: str, last: dict[Style, int]) -> Style:
    """The style of an alphabetic marker: the list it continues, else a guess ("I" opens romans, "C" is a letter)."""
    roman = roman_value(token)
    kinds = ["roman"] if len(token) > 1 else ["letter", "roman"] if roman else ["letter"]
    other = "upper" if case == "lower" else "lower"
    # Continuing a list wins, in the token's own case first: "… H, I" is a letter, "… IV, V" a numeral, and
    # "A., B., (c)" continues the upper-case letters rather than opening a lower-case sub-list.
    for style_case in (case, other):
        for kind in kinds:
            value = letter_value(token) if kind == "letter" else roman
            if value is not None and last.get((kind, style_case)) == value - 1:
                return kind, style_case
    if len(token) > 1:
        return ("roman" if roman else "letter"), case
    return ("roman" if token.lower() == "i" else "letter"), case


def _levels(items: list[Item]) -> list[int]:
    """Nesting depth of each item: explicit, else by indentation, else by first appearance of each marker style."""
    if any(item.indent for item in items):
        widths = sorted({item.indent for item in items})
        return [int(item.level or widths.index(item.indent) + 1) for item in items]
    order: list[Style] = []
    levels = []
    for item in items:
        style = item.style
        if style is None:
            depth = 1
        elif style == ("sid", None):
            depth = str(item.label).count(".") + 1  # an S-id states its own depth
        else:
            if style not in order:
                order.append(style)
            depth = order.index(style) + 1
            if style == ("num", None):
                depth += str(item.label).count(".")  # "1.2" sits one level under "1"
        levels.append(int(item.level or depth))
    return levels


def _nested_ids(levels: list[int]) -> list[str]:
    """S1, S1.1, … from raw levels; a jump from level 1 to 3 nests one step, and its siblings stay with it."""
    open_levels: list[int] = []  # raw level of each open ancestor, outermost first
    counters: list[int] = []
    ids = []
    for level in levels:
        while open_levels and open_levels[-1] >= level:
            open_levels.pop()
        depth = len(open_levels) + 1
        open_levels.append(level)
        if len(counters) >= depth:
            counters = counters[:depth]
            counters[-1] += 1
        else:
            counters.append(1)
        ids.append("S" + ".".join(str(c) for c in counters))
    return ids
