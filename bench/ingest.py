"""Ingestion throughput on documents nobody here wrote: the PostgreSQL 15 HTML manual and Debian's R manuals (PDF).

    python -m bench.ingest [--limit N] [--concurrency 1,2] [--pdf R-intro,R-data,...] [--skip-html] [--skip-pdf]

Each run starts from an empty embedded home (bench/data/ingest-home-c{N}) and ingests through the product
(`IngestService.ingest_path`), N files in flight. Per-stage seconds come from `IngestResult.metrics` (seconds_*);
"other" is wall time the stages do not account for (job bookkeeping, and waiting when files run concurrently).
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio

from bench.harness import DATA_DIR, Report, open_aurora, reset_home, table
from bench.manual import MANUAL_DIR

PDF_DIR = DATA_DIR / "pdf"
R_MANUALS = ("R-FAQ", "R-data", "R-lang", "R-intro", "R-admin")
STAGES = ("checksum", "upload", "parse", "chunk", "embed", "index")


def debian_pdfs(names: list[str]) -> list[Path]:
    """The R manuals from Debian's r-doc-pdf, downloaded and unpacked under bench/data/pdf on first use."""
    manual = PDF_DIR / "extracted" / "usr" / "share" / "R" / "doc" / "manual"
    if not manual.exists():
        PDF_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", "r-doc-pdf"], cwd=PDF_DIR, check=True)
        deb = sorted(PDF_DIR.glob("r-doc-pdf_*.deb"))[-1]
        subprocess.run(["dpkg", "-x", str(deb), str(PDF_DIR / "extracted")], check=True)
    return [manual / f"{name}.pdf" for name in names]


async def ingest_files(files: list[Path], home: Path, concurrency: int, label: str) -> dict[str, Any]:
    """Ingest `files` into a fresh home with `concurrency` in flight; per-file results and totals."""
    reset_home(home)
    results: list[dict[str, Any]] = []
    limiter = anyio.CapacityLimiter(concurrency)
    async with open_aurora(home) as app:
        scope = await app.scope("bench-ingest", caller_app="bench")
        started = time.perf_counter()

        async def one(path: Path) -> None:
            async with limiter:
                t0 = time.perf_counter()
                r = await app.ingest.ingest_path(scope, path)
                results.append({"file": path.name, "status": r.status, "pages": r.pages, "chunks": r.chunks,
                                "bytes": r.metrics.get("bytes", 0), "reason": r.reason, "metrics": r.metrics,
                                "wall": time.perf_counter() - t0})
            if len(results) % 100 == 0:
                print(f"  … {label}: {len(results)}/{len(files)} files, {time.perf_counter() - started:.0f} s",
                      file=sys.stderr, flush=True)

        async with anyio.create_task_group() as tg:
            for path in files:
                tg.start_soon(one, path)
        wall = time.perf_counter() - started
        points = await app.index.count(_tenant_filter(scope.tenant_id))
    return {"label": label, "concurrency": concurrency, "wall": wall, "files": results, "points": points}


def _tenant_filter(tenant_id: str) -> Any:
    from aurora_mcp.index.base import IndexFilter

    return IndexFilter(tenant_id=tenant_id)


def summarize(run: dict[str, Any], *, html: bool) -> tuple[list[Any], dict[str, float]]:
    files = run["files"]
    done = [f for f in files if f["status"] == "done"]
    stages: collections.Counter[str] = collections.Counter()
    for f in done:
        for stage in STAGES:
            stages[stage] += float(f["metrics"].get(f"seconds_{stage}", 0.0) or 0.0)
    # HTML has no pages: one manual page = one file. PDFs report their page count.
    pages = len(done) if html else sum(f["pages"] or 0 for f in done)
    chunks = sum(f["chunks"] for f in done)
    mb = sum(f["bytes"] for f in done) / 1e6
    wall = run["wall"]
    row = [run["label"], run["concurrency"], f"{len(done)}/{len(files)}", pages, chunks, f"{mb:.1f}",
           f"{wall:.0f}", f"{pages / wall:.2f}", f"{chunks / wall:.1f}"]
    return row, dict(stages)


def stage_table(runs: list[tuple[dict[str, Any], dict[str, float]]]) -> str:
    headers = ["run", *STAGES, "other (wall×c − stages)"]
    rows = []
    for run, stages in runs:
        busy = run["wall"] * run["concurrency"]
        total = sum(stages.values())
        cells = [f"{stages.get(s, 0):.0f} s ({100 * stages.get(s, 0) / busy:.0f}%)" for s in STAGES]
        rows.append([f"{run['label']} c={run['concurrency']}", *cells,
                     f"{busy - total:.0f} s ({100 * (busy - total) / busy:.0f}%)"])
    return table(headers, rows)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n\n")[0])
    p.add_argument("--limit", type=int, default=None, help="first N manual pages only (default: all 1,169)")
    p.add_argument("--concurrency", default="1,2", help="files in flight, comma-separated runs (default 1,2)")
    p.add_argument("--pdf", default=",".join(R_MANUALS), help="R manuals to ingest (names without .pdf)")
    p.add_argument("--skip-html", action="store_true")
    p.add_argument("--skip-pdf", action="store_true")
    return p.parse_args(argv)


async def main(argv: list[str]) -> None:
    args = parse_args(argv)
    report = Report("ingest", argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    html = sorted(MANUAL_DIR.glob("*.html"))[: args.limit]
    pdfs = [] if args.skip_pdf else debian_pdfs([n for n in args.pdf.split(",") if n])
    summaries: list[list[Any]] = []
    stage_rows: list[tuple[dict[str, Any], dict[str, float]]] = []
    for c in levels:
        for label, files, is_html in (("PG15 manual (HTML)", html, True), ("R manuals (PDF)", pdfs, False)):
            if not files or (is_html and args.skip_html):
                continue
            run = await ingest_files(files, DATA_DIR / f"ingest-home-c{c}", c, label)
            row, stages = summarize(run, html=is_html)
            summaries.append(row)
            stage_rows.append((run, stages))
            report.raw.setdefault("runs", []).append(run)
            failed = [f for f in run["files"] if f["status"] != "done"]
            for f in failed[:10]:
                report.say(f"  {label}: {f['file']} {f['status']}: {f['reason']}")
            slow = sorted(run["files"], key=lambda f: -f["wall"])[:5]
            report.say(f"  {label} c={c}: slowest files " + ", ".join(f"{f['file']} {f['wall']:.1f} s" for f in slow))
            report.say(f"  {label} c={c}: {run['points']} points in the index after the run")
    report.say("\n## Throughput\n")
    report.say(table(["corpus", "in flight", "files done", "pages", "chunks", "MB", "wall s", "pages/s", "chunks/s"],
                     summaries))
    report.say("\n## Time per stage (summed over files; share of wall × files in flight)\n")
    report.say(stage_table(stage_rows))
    print(f"\nwritten {report.write()}", file=sys.stderr)


if __name__ == "__main__":
    anyio.run(main, sys.argv[1:])
