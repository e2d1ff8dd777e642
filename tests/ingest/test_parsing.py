"""DoclingParser on real files of every supported format, on broken files, and with awkward filenames."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import pytest
from docling_core.types.doc import DoclingDocument

from aurora_mcp.config import PdfPipeline
from aurora_mcp.errors import ConfigurationError, FileRejected, UnsupportedFormat
from aurora_mcp.ingest.models import ParsedDocument
from aurora_mcp.ingest.parsing import DoclingParser, layout_models_available
from tests.ingest import samples

# filename, title, [(section id, title)], pipeline
EXPECTED = [
    (
        "guide.pdf",
        "Aurora Administration Guide",
        [("S1", "1 Introduction"), ("S1.1", "1.1 Scope"), ("S2", "2 Installation"), ("S2.1", "2.1 Prerequisites")],
        "native-pdf",
    ),
    (
        "rapport.docx",
        "Rapport annuel 2024",
        [("S1", "Introduction"), ("S1.1", "Contexte"), ("S1.2", "Méthode"), ("S2", "Conclusion")],
        "simple",
    ),
    ("deck.pptx", "Quarterly review", [("S1", "Quarterly review"), ("S2", "Roadmap"), ("S3", "日本市場")], "simple"),
    ("budget.xlsx", "budget", [("S1", "Sales"), ("S2", "Costs")], "simple"),
    (
        "handbook.html",
        "Team handbook",
        [("S1", "On-call"), ("S2", "Travail à distance"), ("S2.1", "東京オフィス")],
        "simple",
    ),
    ("notes.md", "Release notes", [("S1", "Features"), ("S2", "Corrections"), ("S2.1", "Détails")], "simple"),
    ("scores.csv", "scores", [], "simple"),
    ("meeting.txt", "meeting", [], "plain-text"),
]


@pytest.mark.parametrize(("filename", "title", "sections", "pipeline"), EXPECTED)
def test_each_format_parses_to_a_title_and_a_numbered_outline(
    parser: DoclingParser, sample_dir: Path, filename: str, title: str, sections: list, pipeline: str
) -> None:
    parsed = parser.parse_sync(sample_dir / filename, filename)
    assert parsed.title == title
    assert [(s.section_id, s.title) for s in parsed.sections] == sections
    assert [s.ordinal for s in parsed.sections] == list(range(len(sections)))
    assert parsed.pipeline == pipeline
    assert parsed.markdown.strip()
    DoclingDocument.model_validate_json(parsed.docling_json)


@pytest.mark.parametrize(
    ("filename", "table_cell"),
    [
        ("rapport.docx", "Europe"),
        ("budget.xlsx", "Électricité"),
        ("handbook.html", "Amélie"),
        ("notes.md", "BM25"),
        ("scores.csv", "東京"),
    ],
)
def test_tables_come_out_as_markdown_tables(
    parser: DoclingParser, sample_dir: Path, filename: str, table_cell: str
) -> None:
    markdown = parser.parse_sync(sample_dir / filename, filename).markdown
    row = next(line for line in markdown.splitlines() if table_cell in line)
    assert row.startswith("|") and row.rstrip().endswith("|")


def test_the_pdf_outline_knows_pages_and_ignores_the_table_of_contents_and_footers(
    parser: DoclingParser, sample_dir: Path
) -> None:
    parsed = parser.parse_sync(sample_dir / "guide.pdf", "guide.pdf")
    assert parsed.page_count == 3
    assert [(s.section_id, s.level, s.page) for s in parsed.sections] == [
        ("S1", 1, 2),
        ("S1.1", 2, 2),
        ("S2", 1, 3),
        ("S2.1", 2, 3),
    ]
    assert "Aurora guide - page" not in parsed.markdown
    assert samples.FRENCH_LATIN1 in parsed.markdown
    assert "# Aurora Administration Guide" in parsed.markdown
    assert "## 1.1 Scope" in parsed.markdown or "### 1.1 Scope" in parsed.markdown


def test_plain_text_keeps_markdown_characters_as_text(parser: DoclingParser, sample_dir: Path) -> None:
    parsed = parser.parse_sync(sample_dir / "meeting.txt", "meeting.txt")
    assert parsed.sections == []
    assert "not a heading either" in parsed.markdown
    assert samples.JAPANESE in parsed.markdown and samples.FRENCH in parsed.markdown


def test_slides_and_sheets_report_their_count_as_pages(parser: DoclingParser, sample_dir: Path) -> None:
    assert parser.parse_sync(sample_dir / "deck.pptx", "deck.pptx").page_count == 3
    assert parser.parse_sync(sample_dir / "budget.xlsx", "budget.xlsx").page_count == 2


@pytest.mark.anyio
async def test_parse_runs_off_the_event_loop_and_returns_the_same_document(
    parser: DoclingParser, sample_dir: Path
) -> None:
    parsed = await parser.parse(sample_dir / "notes.md", filename="notes.md")
    assert isinstance(parsed, ParsedDocument) and parsed.title == "Release notes"


@pytest.mark.anyio
async def test_concurrent_parses_share_one_converter_safely(parser: DoclingParser, sample_dir: Path) -> None:
    titles: dict[str, str | None] = {}

    async def parse(name: str) -> None:
        titles[name] = (await parser.parse(sample_dir / name, filename=name)).title

    async with anyio.create_task_group() as tg:
        for name in ("guide.pdf", "rapport.docx", "deck.pptx", "handbook.html", "notes.md", "guide.pdf"):
            tg.start_soon(parse, name)
    assert titles["guide.pdf"] == "Aurora Administration Guide" and titles["rapport.docx"] == "Rapport annuel 2024"


@pytest.mark.parametrize(
    "filename", ["中文.pdf", "テスト.pptx", "rapport final (v2).docx", 'l\'équipe "finale".md', "données;2024.csv"]
)
def test_unicode_and_punctuated_filenames_parse_fine(
    parser: DoclingParser, sample_dir: Path, tmp_path: Path, filename: str
) -> None:
    source = {
        ".pdf": "guide.pdf",
        ".pptx": "deck.pptx",
        ".docx": "rapport.docx",
        ".md": "notes.md",
        ".csv": "scores.csv",
    }
    path = tmp_path / filename
    shutil.copy(sample_dir / source[Path(filename).suffix], path)
    parsed = parser.parse_sync(path, filename)
    assert parsed.markdown.strip()
    if filename.endswith(".csv"):
        assert parsed.title == "données;2024"


def test_the_upload_name_decides_the_format_not_the_name_on_disk(
    parser: DoclingParser, sample_dir: Path, tmp_path: Path
) -> None:
    blob = tmp_path / "upload-7f3a.bin"
    shutil.copy(sample_dir / "rapport.docx", blob)
    assert parser.parse_sync(blob, "rapport.docx").title == "Rapport annuel 2024"


@pytest.mark.parametrize("filename", ["empty.pdf", "empty.docx", "empty.txt", "empty.html"])
def test_an_empty_file_is_rejected(parser: DoclingParser, tmp_path: Path, filename: str) -> None:
    (tmp_path / filename).write_bytes(b"")
    with pytest.raises(FileRejected, match="empty file"):
        parser.parse_sync(tmp_path / filename, filename)


def test_random_bytes_named_pdf_are_rejected_as_not_a_pdf(parser: DoclingParser, tmp_path: Path) -> None:
    path = samples.write_random_bytes(tmp_path / "random.pdf")
    with pytest.raises(FileRejected, match="not a PDF"):
        parser.parse_sync(path, "random.pdf")


def test_garbage_after_a_pdf_header_is_rejected_as_corrupt(parser: DoclingParser, tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + samples.write_random_bytes(tmp_path / "noise").read_bytes())
    with pytest.raises(FileRejected, match="corrupt"):
        parser.parse_sync(path, "garbage.pdf")


def test_a_truncated_pdf_is_rejected_as_corrupt(parser: DoclingParser, sample_dir: Path, tmp_path: Path) -> None:
    data = (sample_dir / "guide.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(FileRejected, match="corrupt or truncated"):
        parser.parse_sync(path, "truncated.pdf")


def test_an_encrypted_pdf_is_rejected_with_the_password_reason(parser: DoclingParser, tmp_path: Path) -> None:
    path = samples.write_encrypted_pdf(tmp_path / "secret.pdf")
    with pytest.raises(FileRejected, match="encrypted PDF"):
        parser.parse_sync(path, "secret.pdf")


def test_a_scanned_pdf_without_a_text_layer_is_rejected_with_the_ocr_reason(
    parser: DoclingParser, tmp_path: Path
) -> None:
    path = samples.write_scanned_pdf(tmp_path / "scan.pdf")
    with pytest.raises(FileRejected, match="no extractable text: it looks scanned"):
        parser.parse_sync(path, "scan.pdf")


def test_a_damaged_office_file_is_rejected_as_corrupt(parser: DoclingParser, tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(FileRejected, match="corrupt DOCX"):
        parser.parse_sync(path, "broken.docx")


@pytest.mark.parametrize("filename", ["setup.exe", "archive.zip"])
def test_unsupported_extensions_are_refused_before_reading(
    parser: DoclingParser, tmp_path: Path, filename: str
) -> None:
    path = samples.write_random_bytes(tmp_path / filename)
    with pytest.raises(UnsupportedFormat, match="supported: "):
        parser.parse_sync(path, filename)


def test_the_layout_pipeline_without_its_models_is_a_configuration_error_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"aurora-mcp\[layout\].*AURORA_PDF_PIPELINE=native"):
        DoclingParser(pdf_pipeline=PdfPipeline.LAYOUT, artifacts_path=tmp_path)


def test_auto_falls_back_to_the_native_pipeline_when_layout_models_are_missing(tmp_path: Path) -> None:
    assert not layout_models_available(tmp_path)
    assert DoclingParser(pdf_pipeline=PdfPipeline.AUTO, artifacts_path=tmp_path).pdf_pipeline_name == "native-pdf"


def test_callout_boxes_of_a_manual_are_not_numbered_as_sections(tmp_path: Path) -> None:
    page = tmp_path / "manual.html"
    page.write_text(
        "<html><body><h1>25.1. Routine Vacuuming</h1><h2>25.1.1. Basics</h2><p>Vacuum often.</p>"
        "<div class='tip'><h3>Tip</h3><p>Use autovacuum.</p></div><h2>25.1.2. Disk Space</h2><p>Reclaim.</p>"
        "<div class='note'><h3>Note</h3><p>VACUUM FULL locks.</p></div></body></html>",
        encoding="utf-8",
    )
    parsed = DoclingParser().parse_sync(page, "manual.html")
    assert parsed.title == "25.1. Routine Vacuuming"
    numbered = [(s.section_id, s.title) for s in parsed.sections]
    assert numbered == [("S1", "25.1.1. Basics"), ("S2", "25.1.2. Disk Space")]


def test_navigation_bars_of_an_html_manual_are_not_indexed(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><div class='navheader'><table><tr><td><a href='a.html'>Prev</a></td>"
        "<td><a href='b.html'>Up</a></td><td><a href='c.html'>Next</a></td></tr></table></div>"
        "<nav><a href='/'>Home</a></nav><h1>VACUUM</h1><p>VACUUM reclaims storage.</p><script>track()</script>"
        "<div class='navfooter'><a href='a.html'>Prev</a> Home <a href='c.html'>Next</a></div></body></html>",
        encoding="utf-8",
    )
    parsed = DoclingParser().parse_sync(page, "page.html")
    assert "VACUUM reclaims storage." in parsed.markdown
    for chrome in ("Prev", "Next", "Home", "track()"):
        assert chrome not in parsed.markdown
