"""The heading and paragraph rebuild on PDF text lines, line by line, without docling's parser."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from docling_core.types.doc import SectionHeaderItem, TitleItem

from aurora_mcp.ingest.pdf_structure import (
    Line,
    Role,
    body_height,
    is_bold_font,
    is_toc_line,
    numbering_depth,
    rebuild_document,
    structure_lines,
)

PAGE_HEIGHT = 842.0


@dataclass
class Typesetter:
    """Lays lines down a page the way a word processor would: top to bottom, left-aligned at 72pt."""

    lines: list[Line] = field(default_factory=list)
    page: int = 1
    y: float = 740.0

    def line(self, text: str, *, size: float = 10.0, bold: bool = False, left: float = 72.0, gap: float = 3.0) -> None:
        width = 0.5 * size * len(text)
        self.lines.append(Line(self.page, text, left, self.y, left + width, self.y - size, bold))
        self.y -= size + gap

    def skip(self, points: float) -> None:
        self.y -= points

    def new_page(self) -> None:
        self.page += 1
        self.y = 740.0


def _structure(ts: Typesetter) -> list:
    return [b for b in structure_lines(ts.lines, page_heights=dict.fromkeys(range(1, ts.page + 1), PAGE_HEIGHT))]


def _headings(ts: Typesetter) -> list[tuple[str, int]]:
    return [(b.text, b.level) for b in _structure(ts) if b.role is Role.HEADING]


def _body(ts: Typesetter, sentences: int = 4) -> None:
    for _ in range(sentences):
        ts.line("Body text of the section, long enough to look like a real line of prose here.")


def test_numbered_headings_get_their_level_from_the_numbering_depth() -> None:
    ts = Typesetter()
    ts.line("1 Introduction", size=16, bold=True, gap=8)
    _body(ts)
    ts.skip(8)
    ts.line("1.1 Scope", size=13, bold=True, gap=8)
    _body(ts)
    ts.skip(8)
    ts.line("1.1.1 Out of scope", size=11, bold=True, gap=8)
    _body(ts)
    ts.skip(8)
    ts.line("2 Installation", size=16, bold=True, gap=8)
    _body(ts)
    assert _headings(ts) == [("1 Introduction", 1), ("1.1 Scope", 2), ("1.1.1 Out of scope", 3), ("2 Installation", 1)]


def test_table_of_contents_entries_never_become_headings() -> None:
    ts = Typesetter()
    ts.line("Contents", size=14, bold=True, gap=8)
    ts.line("1 Introduction ........................ 2", size=13, bold=True)
    ts.line("1.1 Scope . . . . . . . . . . . . . . . . 2", size=13, bold=True)
    ts.line("2 Installation ........................ 12", size=13, bold=True)
    ts.new_page()
    ts.line("1 Introduction", size=16, bold=True, gap=8)
    _body(ts)
    assert _headings(ts) == [("1 Introduction", 1)]


def test_a_contents_page_without_dot_leaders_is_recognised_by_its_trailing_page_numbers() -> None:
    ts = Typesetter()
    for entry in ("1 Introduction      2", "1.1 Scope      2", "2 Installation      5", "2.1 Prerequisites      6"):
        ts.line(entry, size=13, bold=True, gap=6)
    ts.new_page()
    ts.line("1 Introduction", size=16, bold=True, gap=8)
    _body(ts)
    assert _headings(ts) == [("1 Introduction", 1)]


def test_consecutive_lines_merge_into_one_paragraph_and_a_gap_starts_the_next() -> None:
    ts = Typesetter()
    ts.line("The first paragraph starts here and runs over")
    ts.line("two lines of text.")
    ts.skip(12)
    ts.line("The second paragraph follows a blank gap.")
    texts = [b.text for b in _structure(ts) if b.role is Role.TEXT]
    assert texts == [
        "The first paragraph starts here and runs over two lines of text.",
        "The second paragraph follows a blank gap.",
    ]


def test_an_indented_first_line_starts_a_new_paragraph_without_any_gap() -> None:
    ts = Typesetter()
    ts.line("A paragraph whose last line ends the sentence.", left=86)
    ts.line("It has a second line at the margin.")
    ts.line("A new paragraph indented like in a book.", left=86)
    ts.line("And its continuation at the margin.")
    assert [b.text for b in _structure(ts)] == [
        "A paragraph whose last line ends the sentence. It has a second line at the margin.",
        "A new paragraph indented like in a book. And its continuation at the margin.",
    ]


def test_bullets_are_separate_paragraphs_and_keep_their_hanging_continuation() -> None:
    ts = Typesetter()
    ts.line("• first item that wraps onto", left=80)
    ts.line("a second line", left=90)
    ts.line("• second item", left=80)
    assert [b.text for b in _structure(ts)] == ["• first item that wraps onto a second line", "• second item"]


def test_hyphenated_words_and_cjk_lines_are_joined_without_spurious_spaces() -> None:
    ts = Typesetter()
    ts.line("Retrieval needs careful chunk-")
    ts.line("ing of long documents.")
    ts.skip(12)
    ts.line("東京の天気は")
    ts.line("晴れです。")
    assert [b.text for b in _structure(ts)] == [
        "Retrieval needs careful chunking of long documents.",
        "東京の天気は晴れです。",
    ]


def test_the_tallest_line_of_the_first_page_is_the_title_and_cover_lines_are_not_sections() -> None:
    ts = Typesetter()
    ts.line("Aurora Administration Guide", size=24, bold=True, gap=20)
    ts.line("Written by the Aurora team", size=14, bold=True, gap=20)
    ts.line("Version 1.0")
    ts.new_page()
    ts.line("1 Introduction", size=16, bold=True, gap=8)
    _body(ts)
    roles = [(b.role, b.text) for b in _structure(ts) if b.role is not Role.TEXT]
    assert roles == [(Role.TITLE, "Aurora Administration Guide"), (Role.HEADING, "1 Introduction")]


def test_running_footers_and_page_numbers_are_page_furniture() -> None:
    ts = Typesetter()
    for page in range(1, 4):
        if page > 1:
            ts.new_page()
        _body(ts)
        ts.lines.append(Line(page, f"Aurora guide - page {page}", 250, 30, 350, 22))
        ts.lines.append(Line(page, str(page), 500, 820, 505, 812))
    blocks = _structure(ts)
    assert {b.text for b in blocks if b.role is Role.FURNITURE} == {
        "Aurora guide - page 1", "Aurora guide - page 2", "Aurora guide - page 3", "1", "2", "3",
    }  # fmt: skip
    assert all("page" not in b.text for b in blocks if b.role is Role.TEXT)


def test_unnumbered_headings_take_the_level_of_their_font_size_tier() -> None:
    ts = Typesetter()
    ts.line("Preface", size=16, bold=True, gap=8)
    _body(ts)
    ts.skip(8)
    ts.line("How to read this guide", size=13, bold=True, gap=8)
    _body(ts)
    ts.skip(8)
    ts.line("1 Introduction", size=16, bold=True, gap=8)
    _body(ts)
    ts.skip(8)
    ts.line("1.1 Scope", size=13, bold=True, gap=8)
    _body(ts)
    assert _headings(ts) == [("Preface", 1), ("How to read this guide", 2), ("1 Introduction", 1), ("1.1 Scope", 2)]


def test_bold_body_sized_lines_are_headings_only_when_short_and_not_sentences() -> None:
    ts = Typesetter()
    _body(ts)
    ts.skip(8)
    ts.line("3.2 Limits", bold=True, gap=8)
    _body(ts)
    ts.skip(8)
    ts.line("This bold line is a sentence.", bold=True, gap=8)
    _body(ts)
    assert _headings(ts) == [("3.2 Limits", 2)]


def test_a_heading_wrapped_over_two_lines_stays_one_heading() -> None:
    ts = Typesetter()
    ts.line("2.7 Index vectors; selecting and modifying subsets of a data", size=13, bold=True, gap=4)
    ts.line("set", size=13, bold=True, left=100, gap=8)
    _body(ts)
    assert _headings(ts) == [("2.7 Index vectors; selecting and modifying subsets of a data set", 2)]


def test_a_rotated_or_merged_cell_that_looks_tall_is_not_a_heading() -> None:
    ts = Typesetter()
    _body(ts)
    # A vertical axis label: 40pt tall but only as wide as one glyph.
    ts.lines.append(Line(1, "Relative Frequency", 60, 600, 70, 560))
    assert _headings(ts) == []


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("2 Installation", 1),
        ("2.1 Prerequisites", 2),
        ("2.1.3. Ports", 3),
        ("Chapter 3 Storage", 1),
        ("Chapitre IV Résultats", 1),
        ("Annexe A Glossaire", 1),
        ("Appendix B Invoking R", 1),
        ("A.1 Sample session", 2),
        ("IV. Discussion", 1),
        ("Overview", None),
        ("2024 was a good year", None),
    ],
)
def test_numbering_depth_reads_decimal_chapter_annex_and_roman_numbering(text: str, depth: int | None) -> None:
    assert numbering_depth(text) == depth


def test_toc_lines_and_bold_fonts_are_recognised() -> None:
    assert is_toc_line("2.1 Installation ........ 12")
    assert is_toc_line("Preface . . . . . . . . 1")
    assert not is_toc_line("2.1 Installation")
    assert is_bold_font("/Helvetica-Bold") and is_bold_font("/WMCETY+CMBX12") and is_bold_font("Arial,Bold")
    assert not is_bold_font("/PGXFVZ+CMR10") and not is_bold_font(None)


def test_body_height_is_the_most_common_height_weighted_by_characters() -> None:
    ts = Typesetter()
    ts.line("Big", size=24)
    _body(ts)
    assert body_height(ts.lines) == 10.0


def test_the_rebuilt_document_has_a_title_leveled_headings_and_pages_on_every_item() -> None:
    ts = Typesetter()
    ts.line("Aurora Administration Guide", size=24, bold=True, gap=20)
    _body(ts, 8)
    ts.new_page()
    ts.line("1 Introduction", size=16, bold=True, gap=8)
    _body(ts)
    ts.line("1.1 Scope", size=13, bold=True, gap=8)
    _body(ts)
    doc = rebuild_document(ts.lines, name="guide", page_sizes={1: (595, 842), 2: (595, 842)}, origin=None)
    items = [item for item, _ in doc.iterate_items()]
    assert isinstance(items[0], TitleItem) and items[0].text == "Aurora Administration Guide"
    assert [(i.text, i.level) for i in items if isinstance(i, SectionHeaderItem)] == [
        ("1 Introduction", 1),
        ("1.1 Scope", 2),
    ]
    assert all(item.prov and item.prov[0].page_no in (1, 2) for item in items)
    assert "## 1 Introduction" in doc.export_to_markdown()
    assert sorted(doc.pages) == [1, 2]
