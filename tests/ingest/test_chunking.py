"""SectionChunker on parsed real files: token bounds, heading paths, section ids, pages and tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from aurora_mcp.embedding.tokenizer import FileTokenCounter
from aurora_mcp.ingest.chunking import SectionChunker
from aurora_mcp.ingest.models import Chunk, ParsedDocument
from aurora_mcp.ingest.parsing import DoclingParser
from tests.ingest import samples

ALL_SAMPLES = [
    "guide.pdf", "rapport.docx", "deck.pptx", "budget.xlsx", "handbook.html", "notes.md", "scores.csv", "meeting.txt",
]  # fmt: skip


def _parse_and_chunk(parser: DoclingParser, chunker: SectionChunker, path: Path) -> tuple[ParsedDocument, list[Chunk]]:
    parsed = parser.parse_sync(path, path.name)
    return parsed, chunker.chunk(parsed.docling_json, parsed.sections)


def _assert_within_budget(chunks: list[Chunk], counter: FileTokenCounter, limit: int) -> None:
    for chunk in chunks:
        assert counter.count_tokens(chunk.embed_text) <= limit, chunk.embed_text[:200]


@pytest.mark.parametrize("filename", ALL_SAMPLES)
def test_every_format_chunks_within_the_embedder_window(
    parser: DoclingParser,
    chunker: SectionChunker,
    token_counter: FileTokenCounter,
    sample_dir: Path,
    filename: str,
) -> None:
    parsed, chunks = _parse_and_chunk(parser, chunker, sample_dir / filename)
    assert chunks
    assert [c.chunk_index for c in chunks] == list(range(len(chunks)))
    assert chunker.max_tokens == token_counter.max_tokens == 254
    _assert_within_budget(chunks, token_counter, chunker.max_tokens)
    known = {s.section_id for s in parsed.sections}
    assert all(c.section_id is None or c.section_id in known for c in chunks)
    for chunk in chunks:
        assert chunk.text in chunk.embed_text
        assert all(heading in chunk.embed_text for heading in chunk.heading_path)


def test_pdf_chunks_know_their_pages_and_sections(
    parser: DoclingParser, chunker: SectionChunker, sample_dir: Path
) -> None:
    _, chunks = _parse_and_chunk(parser, chunker, sample_dir / "guide.pdf")
    by_section = {c.section_id: c for c in reversed(chunks)}
    assert by_section["S1"].pages == [2] and by_section["S1"].section_title == "1 Introduction"
    assert by_section["S1.1"].heading_path == ["Aurora Administration Guide", "1 Introduction", "1.1 Scope"]
    assert any(2 in c.pages for c in chunks if c.section_id == "S1.1")
    assert any(3 in c.pages for c in chunks if c.section_id == "S1.1"), "the Scope text runs onto page 3"
    install = [c for c in chunks if c.section_id == "S2"]
    assert install and all(c.pages == [3] for c in install)
    assert any(samples.FRENCH_LATIN1 in c.text for c in install)
    toc = chunks[0]
    assert toc.section_id is None and toc.pages == [1] and "1.1 Scope" in toc.text
    assert all("Aurora guide - page" not in c.text for c in chunks)


def test_docx_chunks_carry_the_heading_path_and_a_markdown_table(
    parser: DoclingParser, chunker: SectionChunker, sample_dir: Path
) -> None:
    _, chunks = _parse_and_chunk(parser, chunker, sample_dir / "rapport.docx")
    context = next(c for c in chunks if samples.JAPANESE in c.text)
    assert context.section_id == "S1.1" and context.section_title == "Contexte"
    assert context.heading_path == ["Rapport annuel 2024", "Introduction", "Contexte"]
    assert "| Europe | 120 |" in context.text


@pytest.mark.parametrize(
    ("filename", "row", "section_id"),
    [
        ("budget.xlsx", "| Rent | 5000 |", "S2"),
        ("handbook.html", "| 1 | Amélie |", "S1"),
        ("notes.md", "| BM25 | done |", "S1"),
        ("scores.csv", "| Kenji | 東京 | 88 |", None),
    ],
)
def test_table_rows_are_chunked_as_markdown_under_their_section(
    parser: DoclingParser, chunker: SectionChunker, sample_dir: Path, filename: str, row: str, section_id: str | None
) -> None:
    _, chunks = _parse_and_chunk(parser, chunker, sample_dir / filename)
    chunk = next(c for c in chunks if row in c.text)
    assert chunk.section_id == section_id


def test_each_slide_is_its_own_section(parser: DoclingParser, chunker: SectionChunker, sample_dir: Path) -> None:
    _, chunks = _parse_and_chunk(parser, chunker, sample_dir / "deck.pptx")
    assert [(c.section_id, c.pages) for c in chunks] == [("S1", [1]), ("S2", [2]), ("S3", [3])]
    assert chunks[2].heading_path == ["日本市場"]


def test_a_small_budget_splits_long_text_and_wide_tables_but_never_overflows(
    parser: DoclingParser, token_counter: FileTokenCounter, tmp_path: Path
) -> None:
    rows = "\n".join(f"| host-{i} | Région {i} | {i * 17} ms | disponible |" for i in range(60))
    long_text = " ".join(["La réplication synchrone garantit la durabilité des transactions validées."] * 40)
    path = tmp_path / "long.md"
    path.write_text(
        f"# Inventaire\n\n## Serveurs\n\n| Hôte | Région | Latence | État |\n|---|---|---|---|\n{rows}\n\n"
        f"## Réplication\n\n{long_text}\n",
        encoding="utf-8",
    )
    small = SectionChunker(token_counter, max_tokens=64)
    _, chunks = _parse_and_chunk(parser, small, path)
    assert small.max_tokens == 64
    _assert_within_budget(chunks, token_counter, 64)
    table_chunks = [c for c in chunks if c.section_id == "S1"]
    assert len(table_chunks) > 3
    assert all(c.text.startswith("| Hôte | Région | Latence | État |") for c in table_chunks), "header repeated"
    assert len([c for c in chunks if c.section_id == "S2"]) > 3


def test_a_budget_above_the_embedder_window_is_capped(token_counter: FileTokenCounter) -> None:
    assert SectionChunker(token_counter, max_tokens=10_000).max_tokens == token_counter.max_tokens


def test_repeated_section_titles_map_to_their_own_occurrence(
    parser: DoclingParser, chunker: SectionChunker, tmp_path: Path
) -> None:
    path = tmp_path / "repeated.md"
    path.write_text(
        "# Manuel\n\n## Installation\n\n### Notes\n\nPremières notes.\n\n## Usage\n\n### Notes\n\nSecondes notes.\n",
        encoding="utf-8",
    )
    parsed, chunks = _parse_and_chunk(parser, chunker, path)
    assert [(s.section_id, s.title) for s in parsed.sections] == [
        ("S1", "Installation"),
        ("S1.1", "Notes"),
        ("S2", "Usage"),
        ("S2.1", "Notes"),
    ]
    assert [(c.section_id, c.text) for c in chunks] == [("S1.1", "Premières notes."), ("S2.1", "Secondes notes.")]
    # Sections stored without heading refs (older rows) still map by order of appearance.
    legacy = [s.model_copy(update={"item_ref": None}) for s in parsed.sections]
    assert [c.section_id for c in chunker.chunk(parsed.docling_json, legacy)] == ["S1.1", "S2.1"]


def test_postgresql_manual_pages_parse_and_chunk_within_budget(
    parser: DoclingParser, chunker: SectionChunker, token_counter: FileTokenCounter
) -> None:
    # Debian's postgresql-doc-15 package (apt-get install -y postgresql-doc-15) ships the HTML manual.
    assert samples.PG_HTML_DIR.is_dir(), "install the PostgreSQL manual: apt-get install -y postgresql-doc-15"
    pages = [
        "sql-vacuum.html",
        "datatype-numeric.html",
        *sorted(p.name for p in samples.PG_HTML_DIR.glob("tutorial-*")),
    ]
    for name in pages[:10]:
        parsed, chunks = _parse_and_chunk(parser, chunker, samples.PG_HTML_DIR / name)
        assert parsed.title and parsed.sections and chunks, name
        _assert_within_budget(chunks, token_counter, chunker.max_tokens)
    vacuum, vacuum_chunks = _parse_and_chunk(parser, chunker, samples.PG_HTML_DIR / "sql-vacuum.html")
    assert vacuum.title == "VACUUM"
    assert "Parameters" in [s.title for s in vacuum.sections]
    assert any(c.section_title == "Parameters" and "FULL" in c.text for c in vacuum_chunks)
    numeric, numeric_chunks = _parse_and_chunk(parser, chunker, samples.PG_HTML_DIR / "datatype-numeric.html")
    assert any(c.text.startswith("| Name | Storage Size | Description | Range |") for c in numeric_chunks)
    assert "8.1.1. Integer Types" in [s.title for s in numeric.sections]
