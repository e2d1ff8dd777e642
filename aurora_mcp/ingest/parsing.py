"""The one owner of docling conversion: a file in, a ParsedDocument (docling JSON, markdown, numbered outline) out."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import zipfile
from importlib.util import find_spec
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from aurora_mcp.config import PdfPipeline
from aurora_mcp.errors import ConfigurationError, FileRejected, IngestionFailed
from aurora_mcp.ingest.formats import FORMATS, FileFormat, FileKind, decode_text, format_for, sniff
from aurora_mcp.ingest.html_cleanup import strip_page_chrome
from aurora_mcp.ingest.models import ParsedDocument, Section

if TYPE_CHECKING:
    from docling.datamodel.document import ConversionResult
    from docling.document_converter import DocumentConverter
    from docling_core.types.doc import DoclingDocument

log = logging.getLogger(__name__)

LAYOUT_HINT = (
    "the docling layout pipeline needs its models on this machine: install `aurora-mcp[layout]`, pre-download the "
    "models (`docling-tools models download layout tableformer`) and set DOCLING_ARTIFACTS_PATH to that folder, "
    "or set AURORA_PDF_PIPELINE=native"
)
_LAYOUT_REPO = "docling-project/docling-layout-heron"
_TABLE_REPO = "docling-project/docling-models"


def _model_dir(repo_id: str, artifacts_path: Path | None) -> Path | None:
    """Where docling would load a model from without any network: its artifacts folder or the HF hub cache."""
    if artifacts_path is not None:
        folder = artifacts_path / repo_id.replace("/", "--")
        return folder if folder.is_dir() else None
    from huggingface_hub.constants import HF_HUB_CACHE  # the layout extra installs it; honours HF_HOME & co.

    snapshots = Path(HF_HUB_CACHE) / f"models--{repo_id.replace('/', '--')}" / "snapshots"
    return snapshots if snapshots.is_dir() and any(snapshots.iterdir()) else None


def layout_models_available(artifacts_path: Path | None = None) -> bool:
    """Whether docling's standard PDF pipeline can run offline: the `layout` extra and the layout weights present.

    Args:
        artifacts_path: docling's model folder; default DOCLING_ARTIFACTS_PATH, else the Hugging Face cache.
    """
    if any(find_spec(name) is None for name in ("torch", "transformers", "huggingface_hub")):
        return False
    from docling.datamodel.settings import settings

    root = artifacts_path or (Path(settings.artifacts_path).expanduser() if settings.artifacts_path else None)
    return _model_dir(_LAYOUT_REPO, root) is not None


class DoclingParser:
    """Parses files with one reused DocumentConverter; conversions are serialized because pipelines are shared."""

    def __init__(self, *, pdf_pipeline: PdfPipeline = PdfPipeline.AUTO, artifacts_path: Path | None = None) -> None:
        """Choose the PDF pipeline now (a cheap file check); the converter itself is built on first use.

        Raises:
            ConfigurationError: `pdf_pipeline` is layout but its models or torch are not installed.
        """
        available = layout_models_available(artifacts_path)
        if pdf_pipeline is PdfPipeline.LAYOUT and not available:
            raise ConfigurationError(f"AURORA_PDF_PIPELINE=layout: {LAYOUT_HINT}")
        self._use_layout = pdf_pipeline is PdfPipeline.LAYOUT or (pdf_pipeline is PdfPipeline.AUTO and available)
        self._artifacts_path = artifacts_path
        self._converter: DocumentConverter | None = None
        self._lock = threading.Lock()

    @property
    def pdf_pipeline_name(self) -> str:
        return "layout-pdf" if self._use_layout else "native-pdf"

    async def parse(self, path: Path, *, filename: str) -> ParsedDocument:
        """Convert one file off the event loop.

        Args:
            path: where the bytes are on disk (any name).
            filename: the name it was uploaded with; its extension decides the format, its stem the fallback title.

        Returns:
            docling JSON, markdown, title, page count and the numbered outline.

        Raises:
            UnsupportedFormat: the extension is not supported.
            FileRejected: empty, mislabelled, corrupt or encrypted file, or no extractable text.
            IngestionFailed: docling failed on a file that looks valid.
        """
        return await anyio.to_thread.run_sync(self.parse_sync, path, filename)

    def parse_sync(self, path: Path, filename: str) -> ParsedDocument:
        """Blocking variant of `parse` for workers and benchmarks that are already off the event loop."""
        fmt = format_for(filename)
        sniff(path, fmt)
        data = path.read_bytes()
        stem = Path(filename).stem or "document"
        page_count: int | None = None
        if fmt.kind is FileKind.TEXT:
            doc, pipeline = _text_document(data, filename), "plain-text"
        else:
            if fmt.kind is FileKind.HTML:
                data = strip_page_chrome(data)
            result = self._convert(data, fmt, stem)
            doc, pipeline = result.document, "simple"
            if fmt.kind is FileKind.PDF:
                page_count = result.input.page_count or None
                pipeline = self.pdf_pipeline_name
                if not self._use_layout:
                    doc = _rebuild_native(result, stem)
            elif fmt.kind is FileKind.XLSX:
                _add_sheet_headings(doc)
        markdown = doc.export_to_markdown()
        if not markdown.strip():
            hint = ": it looks scanned, and OCR is not available here" if fmt.kind is FileKind.PDF else ""
            raise FileRejected(f"no extractable text{hint}")
        # Sheet names are sections, not the workbook's title.
        title, sections = build_outline(doc, fallback_title=stem, headings_name_it=fmt.kind is not FileKind.XLSX)
        return ParsedDocument(
            title=title,
            page_count=page_count or (len(doc.pages) or None),
            docling_json=doc.model_dump_json(),
            markdown=markdown,
            sections=sections,
            pipeline=pipeline,
        )

    def _convert(self, data: bytes, fmt: FileFormat, stem: str) -> ConversionResult:
        from docling.datamodel.base_models import ConversionStatus, DocumentStream

        # A stream named with the canonical extension: docling then never guesses from odd or unicode filenames.
        stream = DocumentStream(name=f"{_safe_stem(stem)}.{fmt.kind.value}", stream=BytesIO(data))
        try:
            with self._lock:
                result = self._get_converter().convert(stream, raises_on_error=False)
        except Exception as exc:  # docling's backends raise bare exceptions; report them as our failure
            if fmt.kind is FileKind.PDF and self._use_layout and isinstance(exc, ImportError | OSError):
                raise IngestionFailed(f"layout PDF pipeline unavailable ({type(exc).__name__}): {LAYOUT_HINT}") from exc
            raise IngestionFailed(f"docling failed: {type(exc).__name__}: {_short(str(exc))}") from exc
        if result.status in (ConversionStatus.SUCCESS, ConversionStatus.PARTIAL_SUCCESS):
            if result.status is ConversionStatus.PARTIAL_SUCCESS:
                log.warning("partial conversion of %s: %s", stem, [e.error_message[:120] for e in result.errors])
            return result
        _diagnose(data, fmt)
        reason = result.errors[0].error_message if result.errors else str(result.status.value)
        raise IngestionFailed(f"docling could not convert the file: {_short(reason)}")

    def _get_converter(self) -> DocumentConverter:
        if self._converter is None:
            self._converter = _build_converter(use_layout=self._use_layout, artifacts_path=self._artifacts_path)
        return self._converter


def _build_converter(*, use_layout: bool, artifacts_path: Path | None) -> DocumentConverter:
    from docling.datamodel.base_models import InputFormat
    from docling.document_converter import DocumentConverter, PdfFormatOption

    if use_layout:
        from docling.datamodel.pipeline_options import ThreadedPdfPipelineOptions
        from docling.datamodel.settings import settings

        root = artifacts_path or (Path(settings.artifacts_path).expanduser() if settings.artifacts_path else None)
        # OCR needs yet more models; programmatic PDFs carry their text. Tables only when TableFormer is present.
        options: Any = ThreadedPdfPipelineOptions(
            do_ocr=False, do_table_structure=_model_dir(_TABLE_REPO, root) is not None, artifacts_path=root
        )
        pdf_option = PdfFormatOption(pipeline_options=options)
    else:
        from docling.datamodel.pipeline_options import NativePdfPipelineOptions
        from docling.pipeline.native_pdf_pipeline import NativePdfPipeline

        options = NativePdfPipelineOptions(generate_page_images=False, generate_picture_images=False)
        pdf_option = PdfFormatOption(pipeline_cls=NativePdfPipeline, pipeline_options=options)
    formats = [InputFormat(f.docling_format) for f in FORMATS if f.docling_format]
    return DocumentConverter(allowed_formats=formats, format_options={InputFormat.PDF: pdf_option})


def _diagnose(data: bytes, fmt: FileFormat) -> None:
    """Turn a failed conversion of a broken file into FileRejected with the reason a user can act on."""
    if fmt.kind is FileKind.PDF:
        import pypdfium2

        try:
            pypdfium2.PdfDocument(data).close()
        except pypdfium2.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise FileRejected("encrypted PDF: it needs a password to open; upload an unprotected copy") from exc
            raise FileRejected("corrupt or truncated PDF: it cannot be read") from exc
    elif fmt.kind in (FileKind.DOCX, FileKind.PPTX, FileKind.XLSX):
        try:
            with zipfile.ZipFile(BytesIO(data)) as zf:
                broken = zf.testzip()
        except zipfile.BadZipFile as exc:
            raise FileRejected(f"corrupt {fmt.kind.value.upper()} file: the ZIP container is damaged") from exc
        if broken is not None:
            raise FileRejected(f"corrupt {fmt.kind.value.upper()} file: damaged member {broken}")


def _rebuild_native(result: ConversionResult, name: str) -> DoclingDocument:
    """Replace the native pipeline's one-item-per-line document with paragraphs and headings."""
    from docling_core.types.doc import CoordOrigin
    from docling_core.types.doc.page import TextCellUnit

    from aurora_mcp.ingest.pdf_structure import Line, is_bold_font, rebuild_document

    lines: list[Line] = []
    sizes: dict[int, tuple[float, float]] = {}
    for page in result.pages:
        if page.size is None:
            continue
        sizes[page.page_no] = (page.size.width, page.size.height)
        if page.parsed_page is None:
            continue
        for cell in page.parsed_page.iterate_cells(TextCellUnit.LINE):
            if not cell.text.strip():
                continue
            box = cell.rect.to_bounding_box()
            if box.coord_origin != CoordOrigin.BOTTOMLEFT:
                box = box.to_bottom_left_origin(page_height=page.size.height)
            lines.append(Line(page.page_no, cell.text, box.l, box.t, box.r, box.b, is_bold_font(cell.font_name)))
    return rebuild_document(lines, name=name, page_sizes=sizes, origin=result.document.origin)


def _add_sheet_headings(doc: DoclingDocument) -> None:
    """Give each spreadsheet sheet a heading so outlines and chunk heading paths name the sheet."""
    from docling_core.types.doc import GroupLabel

    for group in list(doc.groups):
        if group.label != GroupLabel.SHEET or not group.children or not group.name:
            continue
        first = group.children[0].resolve(doc)
        prov = first.prov[0] if getattr(first, "prov", None) else None
        doc.insert_heading(sibling=first, text=group.name, level=1, prov=prov, after=False)


def _text_document(data: bytes, filename: str) -> DoclingDocument:
    """Plain text as paragraphs split on blank lines (docling has no .txt backend; markdown would misread *, #, _)."""
    from docling_core.types.doc import DocItemLabel, DoclingDocument, DocumentOrigin

    origin = DocumentOrigin(
        mimetype="text/plain",
        filename=filename,
        binary_hash=int.from_bytes(hashlib.sha256(data).digest()[:8], "big"),
    )
    doc = DoclingDocument(name=Path(filename).stem or "document", origin=origin)
    for para in re.split(r"\n[ \t]*\n", decode_text(data).replace("\r\n", "\n").replace("\r", "\n")):
        if para.strip():
            doc.add_text(label=DocItemLabel.TEXT, text=para.strip())
    return doc


CALLOUT_LABELS = frozenset(
    {
        "tip",
        "note",
        "warning",
        "caution",
        "important",
        "hint",
        "astuce",
        "remarque",
        "attention",
        "avertissement",
        "important :",
        "note :",
    }
)


def build_outline(
    doc: DoclingDocument, *, fallback_title: str, headings_name_it: bool = True
) -> tuple[str, list[Section]]:
    """The document title and its headings numbered S1, S1.1, … in reading order.

    The title is the first title item, else the first heading (when `headings_name_it`), else `fallback_title`.
    A single title item names the document and is not a section; several (one per slide) are top-level sections.
    Levels are relative: a heading nests under the closest preceding heading of a lower level, so gaps
    (H1 → H3) still number S1 → S1.1.
    """
    from docling_core.types.doc import SectionHeaderItem, TitleItem

    heads: list[tuple[Any, int]] = []
    for item, _ in doc.iterate_items():
        if isinstance(item, TitleItem) and item.text.strip():
            heads.append((item, 0))
        elif isinstance(item, SectionHeaderItem) and item.text.strip():
            heads.append((item, item.level))
    # Callout labels ("Tip", "Note", "Warning" boxes in manuals) are headings to docling but not sections a reader
    # would cite: their text stays in the enclosing section.
    heads = [(item, level) for item, level in heads if " ".join(item.text.split()).lower() not in CALLOUT_LABELS]
    titles = [item for item, level in heads if level == 0]
    if titles:
        title = titles[0].text.strip()
    else:
        title = heads[0][0].text.strip() if heads and headings_name_it else fallback_title
    if len(titles) == 1 and heads[0][0] is titles[0]:
        heads = heads[1:]
    elif not titles and len(heads) > 1:
        # One top-level heading first (an HTML page's h1, a report's chapter title) names the document: its
        # sub-headings are what a reader calls "section 2", so they become S1, S2, …
        top_level = min(level for _, level in heads)
        if heads[0][1] == top_level and sum(1 for _, level in heads if level == top_level) == 1:
            heads = heads[1:]
    sections: list[Section] = []
    open_levels: list[int] = []
    counters: list[int] = []
    for item, level in heads:
        while open_levels and open_levels[-1] >= level:
            open_levels.pop()
        depth = len(open_levels) + 1
        counters = counters[:depth]
        if len(counters) == depth:
            counters[-1] += 1
        else:
            counters.append(1)
        open_levels.append(level)
        sections.append(
            Section(
                section_id="S" + ".".join(map(str, counters)),
                title=" ".join(item.text.split()),
                level=depth,
                page=item.prov[0].page_no if item.prov else None,
                ordinal=len(sections),
                item_ref=item.self_ref,
            )
        )
    return title, sections


def _safe_stem(stem: str) -> str:
    return re.sub(r"[\\/\x00-\x1f]", "_", stem)[:120] or "document"


def _short(reason: str) -> str:
    # docling prefixes errors with content hashes; keep the human part.
    return re.sub(r"[0-9a-f]{32,}", "…", reason)[:200]
