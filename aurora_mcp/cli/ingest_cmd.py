"""`aurora-mcp ingest` (files, folders, globs with a progress bar and a summary) and `aurora-mcp search`."""

from __future__ import annotations

import argparse
import glob
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from aurora_mcp.config import AppSettings

logger = logging.getLogger(__name__)

CLI_CALLER = "cli"
_GLOB_CHARS = frozenset("*?[")


@dataclass
class Row:
    """One line of the closing summary."""

    file: str
    status: str  # done | skipped | failed | queued
    pages: int | None = None
    chunks: int = 0
    detail: str = ""


def add_parsers(commands: Any) -> None:
    ingest = commands.add_parser(
        "ingest",
        help="add files to the knowledge base",
        description="Ingest files, folders (recursively) and glob patterns; exit code 1 if any file failed.",
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="file, folder or glob pattern ('docs/**/*.pdf')")
    ingest.add_argument("--project", help="project of these documents")
    ingest.add_argument("--workspace", help="workspace of these documents")
    ingest.add_argument("--tags", help="comma-separated tags, e.g. hr,policy")
    ingest.add_argument("--sensitivity", help="sensitivity label, e.g. internal")
    ingest.add_argument("--tenant", help="tenant slug (default: AURORA_TENANT)")
    ingest.add_argument("--queue", action="store_true", help="queue the files for `aurora-mcp worker` instead")
    ingest.set_defaults(handler=_ingest)

    search = commands.add_parser("search", help="search the knowledge base and print cited passages")
    search.add_argument("query", nargs="+", help="the question or keywords")
    search.add_argument("--k", type=int, default=None, help="number of passages (default 8)")
    search.add_argument("--tenant", help="tenant slug (default: AURORA_TENANT)")
    search.add_argument("--json", action="store_true", help="print the full response as JSON")
    search.set_defaults(handler=_search)


def expand_paths(raw: list[str], supported: tuple[str, ...]) -> tuple[list[Path], list[Row]]:
    """Files to ingest, in a stable order and without duplicates, plus rows for what cannot be ingested."""
    files: dict[Path, None] = {}
    rows: list[Row] = []

    def add_folder(folder: Path) -> None:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).parts
            if any(part.startswith(".") for part in relative) or not path.is_file():
                continue  # hidden files and folders (.git, .DS_Store) are never documents
            if path.suffix.lower() in supported:
                files.setdefault(path.resolve(), None)
            else:
                rows.append(Row(str(path), "skipped", detail="unsupported file type"))

    for item in raw:
        path = Path(item).expanduser()
        if path.is_dir():
            add_folder(path)
        elif path.is_file():
            files.setdefault(path.resolve(), None)
        elif _GLOB_CHARS & set(item):
            matches = sorted(glob.glob(os.path.expanduser(item), recursive=True))
            if not matches:
                rows.append(Row(item, "failed", detail="no file matches this pattern"))
            for match in matches:
                found = Path(match)
                if found.is_dir():
                    add_folder(found)
                elif found.is_file():
                    files.setdefault(found.resolve(), None)
        else:
            rows.append(Row(item, "failed", detail="no such file or folder"))
    return list(files), rows


def _ingest(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import run_async

    return run_async(_ingest_async, settings, args)


async def _ingest_async(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.app import Aurora
    from aurora_mcp.cli.main import err, out
    from aurora_mcp.errors import AuroraError
    from aurora_mcp.ingest.formats import SUPPORTED_EXTENSIONS
    from aurora_mcp.ingest.service import DocumentMetadata

    files, rows = expand_paths(args.paths, SUPPORTED_EXTENSIONS)
    tags = [t.strip() for t in (args.tags or "").split(",") if t.strip()]
    metadata = DocumentMetadata(
        project=args.project, workspace=args.workspace, tags=tags, sensitivity=args.sensitivity, source_app=CLI_CALLER
    )
    async with Aurora(settings) as app:
        scope = await app.scope(args.tenant or settings.server.tenant, CLI_CALLER)
        columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True) as progress:
            overall = progress.add_task(f"{len(files)} file(s)", total=len(files) or 1)
            current = progress.add_task("", total=1.0)
            for path in files:
                progress.update(current, description=path.name, completed=0, total=1.0)

                async def report(done: float, total: float | None, message: str, name: str = path.name) -> None:
                    progress.update(current, completed=done, total=total or 1.0, description=f"{name}: {message}")

                try:
                    if args.queue:
                        job_id = await app.queue.enqueue_path(scope, path, metadata=metadata)
                        rows.append(Row(str(path), "queued", detail=f"job {job_id}"))
                    else:
                        result = await app.ingest.ingest_path(scope, path, metadata=metadata, progress=report)
                        detail = result.reason or f"document {result.document_id}"
                        rows.append(Row(str(path), result.status, result.pages, result.chunks, detail))
                except AuroraError as exc:
                    rows.append(Row(str(path), "failed", detail=str(exc)))
                except Exception as exc:  # one broken file must not stop the batch; the log has the traceback
                    logger.exception("ingesting %s failed", path)
                    rows.append(Row(str(path), "failed", detail=f"internal error: {type(exc).__name__}: {exc}"))
                progress.advance(overall)
            if any(r.status == "done" for r in rows):
                # Once per batch, not per file: the embedded engine blocks while it builds its indexes, and
                # searches over a built index are several times faster (bench/search_engines.py).
                progress.update(current, description="optimizing the index", completed=0, total=1.0)
                await app.index.optimize()
    out.print(summary_table(rows))
    return 1 if any(r.status == "failed" for r in rows) else 0


def summary_table(rows: list[Row]) -> Table:
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("done", "skipped", "failed", "queued")}
    pages = sum(r.pages or 0 for r in rows)
    chunks = sum(r.chunks for r in rows)
    caption = (
        f"{len(rows)} file(s): {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed"
        + (f", {counts['queued']} queued" if counts["queued"] else "")
        + f"; {pages} page(s), {chunks} chunk(s)"
    )
    table = Table(title="Ingestion summary", caption=caption, show_lines=False)
    for name, justify in (("File", "left"), ("Status", "left"), ("Pages", "right"), ("Chunks", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("Details", overflow="fold")
    colour = {"done": "green", "skipped": "yellow", "failed": "red", "queued": "cyan"}
    for r in rows:
        table.add_row(
            escape(r.file),
            f"[{colour.get(r.status, 'white')}]{r.status}[/]",
            "" if r.pages is None else str(r.pages),
            str(r.chunks) if r.chunks else "",
            escape(r.detail),
        )
    return table


def _search(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import run_async

    return run_async(_search_async, settings, args)


async def _search_async(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.app import Aurora
    from aurora_mcp.cli.main import out
    from aurora_mcp.retrieval.models import SearchRequest
    from aurora_mcp.server.common import cite

    request = SearchRequest(query=" ".join(args.query), **({"k": args.k} if args.k else {}))
    async with Aurora(settings) as app:
        scope = await app.scope(args.tenant or settings.server.tenant, CLI_CALLER)
        response = await app.retrieval.search(scope, request)
    if args.json:
        out.print_json(response.model_dump_json())
    elif not response.results:
        out.print(f'No passage matched "{response.query}".', markup=False)
    else:
        for citation in response.results:
            out.print(cite(citation), markup=False)
    return 0
