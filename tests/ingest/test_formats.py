"""Format detection by extension and the cheap magic-byte checks that run before docling."""

from __future__ import annotations

from pathlib import Path

import pytest

from aurora_mcp.errors import FileRejected, UnsupportedFormat
from aurora_mcp.ingest.formats import SUPPORTED_EXTENSIONS, FileKind, decode_text, format_for, sniff


@pytest.mark.parametrize(
    ("filename", "kind"),
    [
        ("report.PDF", FileKind.PDF),
        ("rapport final (v2).docx", FileKind.DOCX),
        ("テスト.pptx", FileKind.PPTX),
        ("budget.xlsx", FileKind.XLSX),
        ("page.htm", FileKind.HTML),
        ("page.html", FileKind.HTML),
        ("README.markdown", FileKind.MARKDOWN),
        ("notes.md", FileKind.MARKDOWN),
        ("data.csv", FileKind.CSV),
        ("notes.txt", FileKind.TEXT),
    ],
)
def test_supported_extensions_map_to_their_format(filename: str, kind: FileKind) -> None:
    assert format_for(filename).kind is kind


@pytest.mark.parametrize("filename", ["setup.exe", "archive.zip", "Makefile", "legacy.doc"])
def test_unsupported_extensions_are_refused_with_the_supported_list(filename: str) -> None:
    with pytest.raises(UnsupportedFormat) as exc:
        format_for(filename)
    assert ".pdf" in str(exc.value) and ".docx" in str(exc.value)


def test_supported_extensions_cover_every_format() -> None:
    assert {".pdf", ".docx", ".pptx", ".xlsx", ".html", ".htm", ".md", ".csv", ".txt"} <= set(SUPPORTED_EXTENSIONS)


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    with pytest.raises(FileRejected, match="empty file"):
        sniff(empty, format_for(empty.name))


def test_a_pdf_without_a_pdf_header_is_rejected(tmp_path: Path) -> None:
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"MZ\x90\x00 this is an executable")
    with pytest.raises(FileRejected, match="not a PDF"):
        sniff(fake, format_for(fake.name))


def test_an_office_file_that_is_not_a_zip_container_is_rejected(tmp_path: Path) -> None:
    fake = tmp_path / "fake.docx"
    fake.write_text("plain text pretending to be Word")
    with pytest.raises(FileRejected, match="not a DOCX"):
        sniff(fake, format_for(fake.name))


def test_binary_content_in_a_text_format_is_rejected(tmp_path: Path) -> None:
    fake = tmp_path / "fake.csv"
    fake.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(FileRejected, match="binary"):
        sniff(fake, format_for(fake.name))


def test_text_decoding_handles_utf8_bom_utf16_and_legacy_windows_text() -> None:
    assert decode_text("\ufeffélève".encode()) == "élève"
    assert decode_text("東京".encode("utf-16")) == "東京"
    assert decode_text("garçon".encode("cp1252")) == "garçon"
