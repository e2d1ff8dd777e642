"""Which files Aurora parses: extension → docling input format and mime type, with a cheap magic-byte check."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from aurora_mcp.errors import FileRejected, UnsupportedFormat


class FileKind(StrEnum):
    """The formats Aurora accepts; the value is the canonical extension."""

    PDF = "pdf"
    DOCX = "docx"
    PPTX = "pptx"
    XLSX = "xlsx"
    HTML = "html"
    MARKDOWN = "md"
    CSV = "csv"
    TEXT = "txt"


@dataclass(frozen=True, slots=True)
class FileFormat:
    """A supported format: its kind, the docling InputFormat name (None: parsed without docling) and mime type."""

    kind: FileKind
    docling_format: str | None
    mime_type: str


_FORMATS: dict[FileKind, FileFormat] = {
    FileKind.PDF: FileFormat(FileKind.PDF, "pdf", "application/pdf"),
    FileKind.DOCX: FileFormat(
        FileKind.DOCX, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    FileKind.PPTX: FileFormat(
        FileKind.PPTX, "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
    FileKind.XLSX: FileFormat(
        FileKind.XLSX, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    FileKind.HTML: FileFormat(FileKind.HTML, "html", "text/html"),
    FileKind.MARKDOWN: FileFormat(FileKind.MARKDOWN, "md", "text/markdown"),
    FileKind.CSV: FileFormat(FileKind.CSV, "csv", "text/csv"),
    # docling has no plain-text backend: the parser builds the DoclingDocument itself.
    FileKind.TEXT: FileFormat(FileKind.TEXT, None, "text/plain"),
}

_EXTENSIONS: dict[str, FileKind] = {
    "pdf": FileKind.PDF,
    "docx": FileKind.DOCX,
    "pptx": FileKind.PPTX,
    "xlsx": FileKind.XLSX,
    "html": FileKind.HTML,
    "htm": FileKind.HTML,
    "xhtml": FileKind.HTML,
    "md": FileKind.MARKDOWN,
    "markdown": FileKind.MARKDOWN,
    "csv": FileKind.CSV,
    "txt": FileKind.TEXT,
    "text": FileKind.TEXT,
}

FORMATS: tuple[FileFormat, ...] = tuple(_FORMATS.values())
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(sorted(f".{ext}" for ext in _EXTENSIONS))

_ZIP_MAGIC = b"PK\x03\x04"
# The PDF spec lets readers accept junk before the header; 1 KiB is what Acrobat tolerates.
_PDF_HEADER_WINDOW = 1024
_TEXT_SNIFF_BYTES = 8192


def format_for(filename: str) -> FileFormat:
    """The format of a file, judged by its extension.

    Args:
        filename: the name the file was uploaded with (only its suffix matters).

    Returns:
        The supported format.

    Raises:
        UnsupportedFormat: the extension is missing or not one Aurora parses; the message lists the supported ones.
    """
    ext = Path(filename).suffix.lower().lstrip(".")
    kind = _EXTENSIONS.get(ext)
    if kind is None:
        shown = f"'.{ext}'" if ext else "a file without extension"
        raise UnsupportedFormat(f"unsupported file type {shown}; supported: {', '.join(SUPPORTED_EXTENSIONS)}")
    return _FORMATS[kind]


def sniff(path: Path, fmt: FileFormat) -> None:
    """Check that the content looks like its extension says, reading at most a few KiB.

    Raises:
        FileRejected: the file is empty, a .pdf without a PDF header, an Office file that is not a ZIP container,
            or a text format holding binary data.
    """
    with path.open("rb") as fh:
        head = fh.read(_TEXT_SNIFF_BYTES)
    if not head:
        raise FileRejected("empty file")
    if fmt.kind is FileKind.PDF:
        if b"%PDF-" not in head[:_PDF_HEADER_WINDOW]:
            raise FileRejected("not a PDF: the file has no %PDF header")
    elif fmt.kind in (FileKind.DOCX, FileKind.PPTX, FileKind.XLSX):
        if not head.startswith(_ZIP_MAGIC):
            raise FileRejected(f"not a {fmt.kind.value.upper()} file: Office Open XML files are ZIP containers")
    elif b"\x00" in head and not _is_utf16(head):
        raise FileRejected(f"not a {fmt.kind.value} file: it holds binary data")


def _is_utf16(head: bytes) -> bool:
    """UTF-16 text is full of NUL bytes but legitimate when it starts with a byte-order mark."""
    return head.startswith((b"\xff\xfe", b"\xfe\xff"))


def decode_text(data: bytes) -> str:
    """Decode a plain-text file: BOM-marked UTF-16/UTF-8, then UTF-8, then cp1252 (legacy Windows files)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
