"""Fixtures for the parsing and chunking tests: one parser and chunker per session (docling is slow to load)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aurora_mcp.config import PdfPipeline
from aurora_mcp.embedding.tokenizer import FileTokenCounter, minilm_token_counter
from aurora_mcp.ingest.chunking import SectionChunker
from aurora_mcp.ingest.parsing import DoclingParser
from tests.ingest import samples


@pytest.fixture(scope="session")
def parser() -> DoclingParser:
    return DoclingParser(pdf_pipeline=PdfPipeline.NATIVE)


@pytest.fixture(scope="session")
def token_counter() -> FileTokenCounter:
    return minilm_token_counter()


@pytest.fixture(scope="session")
def chunker(token_counter: FileTokenCounter) -> SectionChunker:
    return SectionChunker(token_counter)


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every generated sample, written once per session."""
    root = tmp_path_factory.mktemp("samples")
    samples.write_guide_pdf(root / "guide.pdf")
    samples.write_docx(root / "rapport.docx")
    samples.write_pptx(root / "deck.pptx")
    samples.write_xlsx(root / "budget.xlsx")
    samples.write_html(root / "handbook.html")
    samples.write_markdown(root / "notes.md")
    samples.write_csv(root / "scores.csv")
    samples.write_text(root / "meeting.txt")
    return root
