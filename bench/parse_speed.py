"""Parsing + chunking speed (pages/s) on the PostgreSQL HTML manual and on real Debian PDF manuals; prints tables."""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aurora_mcp.config import PdfPipeline
from aurora_mcp.embedding.tokenizer import minilm_token_counter
from aurora_mcp.ingest.chunking import SectionChunker
from aurora_mcp.ingest.parsing import DoclingParser
from bench.harness import Report, table

PG_HTML = Path("/usr/share/doc/postgresql-doc-15/html")
# R's manuals: programmatic PDFs (TeX) with numbered chapters, a table of contents and an index.
PDF_PACKAGE = "r-doc-pdf"
PDF_CACHE = Path(tempfile.gettempdir()) / "aurora-bench-pdf"
PDF_NAMES = ("R-intro.pdf", "R-admin.pdf", "R-exts.pdf")


def debian_pdfs() -> list[Path]:
    """R manuals from Debian's r-doc-pdf, unpacked under /tmp once (never committed)."""
    if not _cached_pdfs() and shutil.which("apt-get"):
        PDF_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", PDF_PACKAGE], cwd=PDF_CACHE, check=True, capture_output=True)
        for deb in PDF_CACHE.glob("*.deb"):
            subprocess.run(["dpkg", "-x", str(deb), str(PDF_CACHE / "x")], check=True)
    return _cached_pdfs()


def _cached_pdfs() -> list[Path]:
    # The package ships each manual twice (doc dir and R home): keep one per name.
    by_name = {p.name: p for p in sorted(PDF_CACHE.rglob("*.pdf")) if p.name in PDF_NAMES}
    return [by_name[name] for name in sorted(by_name)]


def measure(parser: DoclingParser, chunker: SectionChunker, path: Path) -> dict[str, float]:
    started = time.perf_counter()
    parsed = parser.parse_sync(path, path.name)
    parsed_at = time.perf_counter()
    chunks = chunker.chunk(parsed.docling_json, parsed.sections)
    done = time.perf_counter()
    return {
        "pages": parsed.page_count or 1,  # HTML has no pages: one file counts as one page
        "parse_s": parsed_at - started,
        "chunk_s": done - parsed_at,
        "chunks": len(chunks),
        "sections": len(parsed.sections),
        "bytes": path.stat().st_size,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--html-files", type=int, default=100, help="first N files of the PostgreSQL HTML manual")
    ap.add_argument("--pdf", type=Path, action="append", help="PDF(s) to time instead of the Debian R manuals")
    args = ap.parse_args()
    report = Report("parse_speed", sys.argv[1:])
    parser = DoclingParser(pdf_pipeline=PdfPipeline.AUTO)
    chunker = SectionChunker(minilm_token_counter())
    started = time.perf_counter()
    parser.parse_sync(PG_HTML / "index.html", "index.html")  # warm-up: docling imports and builds pipelines once
    report.say(f"warm-up (imports + converter) {time.perf_counter() - started:.1f} s; PDF: {parser.pdf_pipeline_name}")

    rows = []
    html_files = sorted(PG_HTML.glob("*.html"))[: args.html_files] if PG_HTML.is_dir() else []
    if html_files:
        runs = [measure(parser, chunker, p) for p in html_files]
        parse_s = sum(r["parse_s"] for r in runs)
        chunk_s = sum(r["chunk_s"] for r in runs)
        rows.append(
            [
                f"PostgreSQL HTML manual ({len(runs)} files)",
                len(runs),
                parse_s,
                chunk_s,
                len(runs) / (parse_s + chunk_s),
                sum(r["chunks"] for r in runs),
                statistics.median(r["parse_s"] * 1000 for r in runs),
            ]
        )
        report.raw["html"] = runs
    for pdf in args.pdf or debian_pdfs():
        run = measure(parser, chunker, pdf)
        rows.append(
            [
                f"{pdf.name} ({run['bytes'] / 1e6:.1f} MB, {run['sections']} sections)",
                int(run["pages"]),
                run["parse_s"],
                run["chunk_s"],
                run["pages"] / (run["parse_s"] + run["chunk_s"]),
                int(run["chunks"]),
                run["parse_s"] * 1000 / run["pages"],
            ]
        )
        report.raw[pdf.name] = run
    report.say()
    report.say(
        table(["corpus", "pages", "parse s", "chunk s", "pages/s (parse+chunk)", "chunks", "parse ms/page"], rows)
    )
    report.say(f"\nresults: {report.write()}")


if __name__ == "__main__":
    main()
