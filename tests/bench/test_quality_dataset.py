"""The book-index parser and the grading of bench/quality.py on a two-page manual written for the test."""

from __future__ import annotations

from pathlib import Path

from bench.manual import read_manual
from bench.metrics import dedupe, mrr, ndcg, recall
from bench.quality_dataset import build_dataset, build_queries, parse_bookindex

NAV = '<div class="navheader"><a accesskey="u" href="{up}">Up</a></div>'

CHAPTER = """<html><head><title>Maintenance</title></head><body>{nav}
<div class="chapter" id="MAINT"><div class="titlepage"><h2 class="title">Chapter 25. Maintenance</h2></div>
<div class="toc"><dl class="toc"><dt><a href="vacuum.html">25.1. Vacuuming</a></dt></dl></div>
<p>Databases need periodic <a id="id-1.2.3" class="indexterm"></a>maintenance.</p></div></body></html>"""

VACUUM = """<html><head><title>Vacuuming</title></head><body>{nav}
<div class="sect1" id="VACUUMING"><div class="titlepage"><h2 class="title">25.1. Vacuuming</h2></div>
<p>Vacuuming removes dead rows.</p>
<div class="sect2" id="SPACE"><div class="titlepage"><h3 class="title">25.1.1. Recovering Disk Space</h3></div>
<p>Deleted rows keep <a id="id-9" class="indexterm"></a>space until VACUUM runs.</p>
<pre class="programlisting">VACUUM FULL t;</pre></div></div></body></html>"""

BOOKINDEX = """<html><body><div class="index" id="BOOKINDEX"><div class="index">
<div class="indexdiv" id="indexdiv-D"><h3>D</h3><dl>
<dt id="ientry-1">disk space, <a class="indexterm" href="vacuum.html#id-9">Recovering Disk Space</a></dt>
<dt id="ientry-2">dead rows (see <a href="#ientry-3">vacuum</a>)</dt>
</dl></div>
<div class="indexdiv" id="indexdiv-M"><h3>M</h3><dl>
<dt id="ientry-3">maintenance, <a class="indexterm" href="maintenance.html">Maintenance</a></dt>
<dd><dl><dt>vacuuming, <a class="indexterm" href="vacuum.html">Vacuuming</a></dt></dl></dd>
</dl></div></div></div></body></html>"""


def _write_manual(tmp_path: Path) -> Path:
    manual = tmp_path / "html"
    manual.mkdir()
    (manual / "index.html").write_text("<html><body><div class='book' id='BOOK'><p>Book</p></div></body></html>")
    (manual / "maintenance.html").write_text(CHAPTER.format(nav=NAV.format(up="index.html")))
    (manual / "vacuum.html").write_text(VACUUM.format(nav=NAV.format(up="maintenance.html")))
    (manual / "bookindex.html").write_text(BOOKINDEX)
    return manual


def test_the_book_index_yields_one_entry_per_linked_term_and_sub_term() -> None:
    entries = parse_bookindex(BOOKINDEX)

    assert [(e.query, e.hrefs) for e in entries] == [
        ("disk space", ["vacuum.html#id-9"]),
        ("maintenance", ["maintenance.html"]),
        ("maintenance vacuuming", ["vacuum.html"]),
    ]


def test_sections_keep_their_own_text_heading_and_place_in_the_tree(tmp_path: Path) -> None:
    manual = read_manual(_write_manual(tmp_path))

    assert set(manual.sections) == {"MAINT", "VACUUMING", "SPACE"}
    space = manual.sections["SPACE"]
    assert space.heading == "Recovering Disk Space"
    assert space.parent == "VACUUMING"
    assert ("pre", "VACUUM FULL t;") in space.blocks
    assert manual.sections["VACUUMING"].text == "Vacuuming removes dead rows."  # the child's text is not repeated
    assert manual.sections["VACUUMING"].parent == "MAINT"  # across pages, through the "Up" link
    assert manual.sections["MAINT"].children == ["VACUUMING"]
    assert "25.1" not in manual.sections["MAINT"].text  # the table of contents is left out


def test_anchor_section_is_grade_2_and_its_parent_and_children_grade_1(tmp_path: Path) -> None:
    root = _write_manual(tmp_path)
    manual = read_manual(root)
    queries, stats = build_queries(parse_bookindex(BOOKINDEX), manual, corpus=set(manual.sections))

    grades = {q.text: q.grades for q in queries}
    assert grades == {
        "disk space": {"SPACE": 2, "VACUUMING": 1},
        "maintenance": {"MAINT": 2, "VACUUMING": 1},
        "maintenance vacuuming": {"VACUUMING": 2, "MAINT": 1, "SPACE": 1},
    }
    assert stats["links_unresolved"] == 0


def test_the_built_dataset_writes_one_document_per_section(tmp_path: Path) -> None:
    dataset = build_dataset(tmp_path / "out", manual_dir=_write_manual(tmp_path))

    assert len(dataset.queries) == 3
    docs = sorted(p.name for p in (tmp_path / "out" / "docs").iterdir())
    assert docs == ["MAINT.html", "SPACE.html", "VACUUMING.html"]
    page = (tmp_path / "out" / "docs" / "SPACE.html").read_text()
    assert "<h1>Recovering Disk Space</h1>" in page and "VACUUM FULL t;" in page


def test_metrics_read_a_passage_ranking_as_a_document_ranking() -> None:
    grades = {"a": 2, "b": 1}
    ranked = dedupe(["x", "a", "a", "b"])

    assert ranked == ["x", "a", "b"]
    assert mrr(ranked, grades) == 0.5
    assert recall(ranked, grades, 2) == 0.5
    assert ndcg(["a", "b"], grades) == 1.0
    assert 0 < ndcg(ranked, grades) < 1
