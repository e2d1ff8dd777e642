"""Rebuild paragraphs, headings and a title from the text lines of a programmatic PDF (no layout model)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from docling_core.types.doc import (
    BoundingBox,
    ContentLayer,
    CoordOrigin,
    DocItemLabel,
    DoclingDocument,
    DocumentOrigin,
    ProvenanceItem,
    Size,
)


@dataclass(frozen=True, slots=True)
class Line:
    """One text line as the PDF parser reports it; coordinates have a bottom-left origin (top > bottom)."""

    page: int
    text: str
    left: float
    top: float
    right: float
    bottom: float
    bold: bool = False

    @property
    def height(self) -> float:
        """The box height, unless the box is implausibly tall for its width (rotated text, or glyphs of two
        baselines merged into one cell): then a height derived from the average character width."""
        box = max(self.top - self.bottom, 0.1)
        char_width = (self.right - self.left) / max(len(self.text.strip()), 1)
        return box if char_width >= 0.3 * box else max(char_width / 0.5, 0.1)


class Role(StrEnum):
    TITLE = "title"
    HEADING = "heading"
    TEXT = "text"
    FURNITURE = "furniture"  # running headers, footers and page numbers: kept out of the body


@dataclass(slots=True)
class Block:
    """Consecutive lines read as one paragraph or heading."""

    lines: list[Line]
    toc: bool = False
    role: Role = Role.TEXT
    level: int = 0
    text: str = field(default="")

    @property
    def first(self) -> Line:
        return self.lines[0]

    @property
    def height(self) -> float:
        return sorted(ln.height for ln in self.lines)[len(self.lines) // 2]

    @property
    def bold(self) -> bool:
        return self.first.bold


BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi|[-,+]bd\b|cmbx|cmb\d", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[•◦▪‣●○■□–—*-]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+")
_DOT_LEADERS = re.compile(r"(?:\.\s?){4,}|…{2,}|(?:·\s?){4,}|_{4,}")
_TRAILING_PAGE = re.compile(r"\S\s+(?:\d{1,4}|[ivxlc]{1,6})$")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s+)?[-–(]?\s*(?:\d{1,4}|[ivxlcdm]{1,6})\s*[-–)]?(?:\s*(?:/|of|sur)\s*\d{1,4})?$", re.I
)
_NUMBERED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.?\s+\S")
_LETTER_NUMBERED = re.compile(r"^[A-Z]((?:\.\d{1,3})+)\.?\s+\S")
_CHAPTER = re.compile(
    r"^(?:chapter|chapitre|part|partie|book|livre|titre|annex|annexe|appendix|appendice|kapitel|anhang)"
    r"\s+(?:\d{1,3}|[IVXLCDM]{1,6}|[A-Z])\b",
    re.IGNORECASE,
)
_ROMAN = re.compile(r"^[IVXLCDM]{1,6}[.)]\s+\S")
_TOC_LABELS = {
    "contents", "table of contents", "table des matières", "sommaire", "inhaltsverzeichnis",
    "índice", "indice", "目次", "目录", "目錄",
}  # fmt: skip
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]")

# Thresholds, in multiples of the body text height (the line box height of the most common text size).
_HEADING_RATIO = 1.15  # a line this much taller than body text is set in a heading font
_TITLE_RATIO = 1.3
_MAX_GAP = 0.7  # a larger vertical gap between two lines starts a new paragraph
_MARGIN_BAND = 0.09  # top/bottom share of the page where running headers and footers live
_COVER_PAGE_WORDS = 60
_FURNITURE_MAX_WORDS = 12  # running headers are short; a long repeated line at a page top is body text


def is_bold_font(font_name: str | None) -> bool:
    """Whether a PDF font name denotes a bold face (Helvetica-Bold, Arial,Bold, TeX's CMBX12, …)."""
    return bool(font_name and BOLD_FONT.search(font_name))


def body_height(lines: Iterable[Line]) -> float:
    """The most common line height, weighted by characters, so a few big headings cannot shift it."""
    weights: Counter[float] = Counter()
    for ln in lines:
        weights[round(ln.height * 2) / 2] += len(ln.text)
    return weights.most_common(1)[0][0] if weights else 10.0


def numbering_depth(text: str) -> int | None:
    """Outline depth implied by a heading's numbering ("2.1.3" → 3, "Chapter 4" → 1), or None when unnumbered."""
    if m := _NUMBERED.match(text):
        return m.group(1).count(".") + 1
    if m := _LETTER_NUMBERED.match(text):
        return m.group(1).count(".") + 1
    if _CHAPTER.match(text) or _ROMAN.match(text):
        return 1
    return None


def is_toc_line(text: str) -> bool:
    """A table-of-contents entry: dot leaders ("2.1 Install ........ 12") or similar fillers."""
    return bool(_DOT_LEADERS.search(text))


def structure_lines(lines: Sequence[Line], *, page_heights: dict[int, float] | None = None) -> list[Block]:
    """Group lines into blocks and label each as title, heading (with level), text or page furniture.

    Args:
        lines: the lines in the parser's reading order (page by page).
        page_heights: page height per page number, to find running headers and footers in the margins.

    Returns:
        Blocks in reading order; headings carry `level` ≥ 1.
    """
    if not lines:
        return []
    furniture = _furniture(lines, page_heights or {})
    body = [ln for i, ln in enumerate(lines) if i not in furniture]
    body_h = body_height(body or lines)
    toc_pages = _toc_pages(body)
    blocks = _group(body, body_h, toc_pages)
    _classify(blocks, body_h)
    out = [Block(lines=[lines[i]], role=Role.FURNITURE, text=lines[i].text.strip()) for i in sorted(furniture)]
    # Furniture is kept (outside the body layer); order it back by page so provenance stays in page order.
    return sorted(blocks + out, key=lambda b: b.first.page)


def _furniture(lines: Sequence[Line], page_heights: dict[int, float]) -> set[int]:
    """Indexes of page numbers and of lines repeated in the top/bottom margin of at least three pages."""
    in_band: list[int] = []
    for i, ln in enumerate(lines):
        height = page_heights.get(ln.page)
        if height and (ln.top > height * (1 - _MARGIN_BAND) or ln.bottom < height * _MARGIN_BAND):
            in_band.append(i)
    pages_by_text: dict[str, set[int]] = defaultdict(set)
    for i in in_band:
        pages_by_text[re.sub(r"\d+", "#", lines[i].text.strip().lower())].add(lines[i].page)
    return {
        i
        for i in in_band
        if _PAGE_NUMBER.match(lines[i].text.strip())
        or (
            len(lines[i].text.split()) <= _FURNITURE_MAX_WORDS
            and len(pages_by_text[re.sub(r"\d+", "#", lines[i].text.strip().lower())]) >= 3
        )
    }


def _toc_pages(lines: Sequence[Line]) -> set[int]:
    """Pages where most lines end with a page number: a table of contents even without dot leaders."""
    total: Counter[int] = Counter()
    ending: Counter[int] = Counter()
    for ln in lines:
        total[ln.page] += 1
        if _TRAILING_PAGE.search(ln.text.strip()) or is_toc_line(ln.text):
            ending[ln.page] += 1
    return {p for p, n in ending.items() if n >= 3 and n >= 0.5 * total[p]}


def _group(lines: Sequence[Line], body_h: float, toc_pages: set[int]) -> list[Block]:
    blocks: list[Block] = []
    for ln in lines:
        if not ln.text.strip():
            continue
        toc = is_toc_line(ln.text) or (ln.page in toc_pages and bool(_TRAILING_PAGE.search(ln.text.strip())))
        if blocks and not toc and not blocks[-1].toc and _continues(blocks[-1], ln, body_h):
            blocks[-1].lines.append(ln)
        else:
            blocks.append(Block(lines=[ln], toc=toc))
    for block in blocks:
        # Dot leaders cost dozens of tokens per ToC line and mean nothing to an embedder.
        text = _join(block.lines)
        block.text = _DOT_LEADERS.sub(" … ", text).replace("  ", " ") if block.toc else text
    return blocks


def _continues(block: Block, ln: Line, body_h: float) -> bool:
    """Whether `ln` continues the paragraph in `block` rather than starting a new one."""
    prev = block.lines[-1]
    h = block.height
    if ln.page != prev.page or ln.bold != block.bold or abs(ln.height - h) > 0.2 * max(h, ln.height):
        return False
    gap = prev.bottom - ln.top
    if gap > _MAX_GAP * h or gap < -0.5 * h or _BULLET.match(ln.text):
        return False
    if h >= _HEADING_RATIO * body_h:
        # Heading-sized lines: a wrapped heading may be centred or hang-indented; a numbered line starts a new one.
        return numbering_depth(ln.text.strip()) is None
    if len(block.lines) == 1:
        dx = ln.left - block.first.left
        # Same left edge, a first-line indent, or a hanging indent after a bullet.
        return abs(dx) <= 0.5 * h or -3 * h <= dx < 0 or (0 < dx <= 3 * h and bool(_BULLET.match(block.first.text)))
    # An indented line after a full paragraph starts the next paragraph.
    return abs(ln.left - block.lines[1].left) <= 0.5 * h


def _join(lines: Sequence[Line]) -> str:
    text = ""
    for ln in lines:
        part = ln.text.strip()
        if not text:
            text = part
        elif re.search(r"[a-zà-ÿ]-$", text) and part[:1].islower():
            text = text[:-1] + part  # a word hyphenated across the line break
        elif _CJK.match(text[-1]) and _CJK.match(part[:1]):
            text += part  # CJK scripts put no space between words
        else:
            text += " " + part
    return text


def _heading_like(block: Block, ratio: float) -> bool:
    text = block.text
    if block.toc or text.lower().rstrip(":") in _TOC_LABELS or not re.search(r"[^\W\d_]", text):
        return False
    if len(text) > 150 or len(text.split()) > 15 or text[-1] in ",;:" or len(block.lines) > 3:
        return False
    if text[-1] == "." and numbering_depth(text) is None:
        return False  # a sentence; numbered headings may end with "etc."
    if ratio >= _HEADING_RATIO:
        return True
    # Bold body-sized lines are headings when they stand alone and look like one.
    return (
        block.bold
        and ratio >= 0.9
        and len(block.lines) == 1
        and (numbering_depth(text) is not None or len(text.split()) <= 8)
    )


def _classify(blocks: list[Block], body_h: float) -> None:
    headings = [b for b in blocks if _heading_like(b, b.height / body_h)]
    for b in headings:
        b.role = Role.HEADING
    _pick_title(blocks, headings, body_h)
    _assign_levels([b for b in headings if b.role is Role.HEADING])


def _pick_title(blocks: list[Block], headings: list[Block], body_h: float) -> None:
    """The tallest unnumbered heading on the first page with text, if it is taller than every other heading."""
    first_page = blocks[0].first.page if blocks else 0
    candidates = [b for b in headings if b.first.page == first_page and numbering_depth(b.text) is None]
    if not candidates:
        return
    best = max(candidates, key=lambda b: b.height)
    # The title's size is its own: a first chapter heading as tall as the others is not a title.
    if best.height < _TITLE_RATIO * body_h or any(b.height > best.height / 1.05 for b in headings if b is not best):
        return
    best.role = Role.TITLE
    # On a cover page (little running text) the other display lines are subtitles and authors, not sections.
    page_words = sum(len(b.text.split()) for b in blocks if b.first.page == first_page and b.role is Role.TEXT)
    if page_words < _COVER_PAGE_WORDS:
        for b in candidates:
            if b is not best:
                b.role = Role.TEXT


def _assign_levels(headings: list[Block]) -> None:
    """Numbering depth first; unnumbered headings take the level of their font-size tier."""
    tiers: list[list[Block]] = []
    for b in sorted(headings, key=lambda b: -b.height):
        if tiers and b.height >= tiers[-1][0].height * 0.93:
            tiers[-1].append(b)
        else:
            tiers.append([b])
    previous = 0
    for tier in tiers:
        depths = [d for b in tier if (d := numbering_depth(b.text)) is not None]
        tier_level = Counter(depths).most_common(1)[0][0] if depths else previous + 1
        for b in tier:
            b.level = numbering_depth(b.text) or tier_level
        previous = tier_level


def rebuild_document(
    lines: Sequence[Line], *, name: str, page_sizes: dict[int, tuple[float, float]], origin: DocumentOrigin | None
) -> DoclingDocument:
    """A DoclingDocument with a title, leveled headings and paragraphs, each item keeping its page and box.

    Args:
        lines: the PDF's text lines in parser order.
        name: the document name (the file stem).
        page_sizes: (width, height) per page number; every page is registered, even a blank one.
        origin: docling's origin record (mime type, filename, hash), kept as is.
    """
    doc = DoclingDocument(name=name, origin=origin)
    for page_no, (width, height) in sorted(page_sizes.items()):
        doc.add_page(page_no=page_no, size=Size(width=width, height=height))
    heights = {p: h for p, (_, h) in page_sizes.items()}
    for block in structure_lines(lines, page_heights=heights):
        prov = _provenance(block)
        if block.role is Role.TITLE:
            doc.add_title(text=block.text, prov=prov)
        elif block.role is Role.HEADING:
            doc.add_heading(text=block.text, level=max(1, min(block.level, 100)), prov=prov)
        elif block.role is Role.FURNITURE:
            upper = block.first.top > heights.get(block.first.page, 0) / 2
            label = DocItemLabel.PAGE_HEADER if upper else DocItemLabel.PAGE_FOOTER
            doc.add_text(label=label, text=block.text, prov=prov, content_layer=ContentLayer.FURNITURE)
        else:
            doc.add_text(label=DocItemLabel.TEXT, text=block.text, prov=prov)
    return doc


def _provenance(block: Block) -> ProvenanceItem:
    bbox = BoundingBox(
        l=min(ln.left for ln in block.lines),
        t=max(ln.top for ln in block.lines),
        r=max(ln.right for ln in block.lines),
        b=min(ln.bottom for ln in block.lines),
        coord_origin=CoordOrigin.BOTTOMLEFT,
    )
    return ProvenanceItem(page_no=block.first.page, bbox=bbox, charspan=(0, len(block.text)))
