"""`aurora-mcp doctor`: which backend is in use for each part, and whether it answers (exit 1 if one does not)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rich.markup import escape
from rich.table import Table

from aurora_mcp.config import AppSettings


@dataclass
class Check:
    part: str
    backend: str
    detail: str
    ok: bool


def add_parsers(commands: Any) -> None:
    doctor = commands.add_parser("doctor", help="check every backend and print a table")
    doctor.set_defaults(handler=_doctor)


def _doctor(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.cli.main import out, run_async

    checks = run_async(_checks, settings)
    table = Table(title="aurora-mcp doctor")
    for column in ("Part", "Backend", "Details", "Status"):
        table.add_column(column, overflow="fold")
    for c in checks:
        table.add_row(c.part, escape(c.backend), escape(c.detail), "[green]ok[/]" if c.ok else "[red]FAILED[/]")
    out.print(table)
    return 0 if all(c.ok for c in checks) else 1


async def _probe(part: str, backend: str, check: Callable[[], Awaitable[str]]) -> Check:
    try:
        return Check(part, backend, await check(), True)
    except Exception as exc:  # doctor reports every failure as a row instead of stopping at the first
        return Check(part, backend, f"{type(exc).__name__}: {exc}", False)


async def _checks(settings: AppSettings) -> list[Check]:
    from aurora_mcp.app import Aurora
    from aurora_mcp.db.pool import describe_dsn
    from aurora_mcp.errors import AuroraError

    url = settings.database.database_url
    pg_backend = f"server {describe_dsn(url.get_secret_value())}" if url else f"embedded ({settings.postgres_dir})"
    index_backend = f"{settings.index.engine} · collection {settings.index.collection}"
    store_backend = f"S3 {settings.storage.s3_endpoint}" if settings.storage.s3_endpoint else "local folder"
    try:
        async with Aurora(settings, apply_migrations=False) as app:
            return await _probe_all(app, settings, pg_backend, index_backend, store_backend)
    except AuroraError as exc:
        # Aurora opens everything in order and stops at the first failure: that one is the row to fix.
        return [Check("startup", f"PostgreSQL {pg_backend}", str(exc), False)]


async def _probe_all(
    app: Any, settings: AppSettings, pg_backend: str, index_backend: str, store_backend: str
) -> list[Check]:
    from aurora_mcp.db.migrate import pending

    async def postgres() -> str:
        async with app.pool.acquire() as conn:
            version = conn.get_server_version()
        todo = await pending(app.pool)
        schema = f"{len(todo)} migration(s) pending (run `aurora-mcp db migrate`)" if todo else "schema current"
        return f"PostgreSQL {version.major}.{version.minor}; {schema}"

    async def embedder() -> str:
        vector = await app.embedder.embed_query("doctor")
        if len(vector) != app.embedder.dimension:
            raise RuntimeError(f"returned {len(vector)} values, expected {app.embedder.dimension}")
        return f"{app.embedder.model_name}, {app.embedder.dimension}-d"

    return [
        await _probe("PostgreSQL", pg_backend, postgres),
        await _probe("Vector index", index_backend, app.index.ping),
        await _probe("Object store", store_backend, app.store.ping),
        await _probe("Embedder", str(settings.embedding.embedding_provider), embedder),
    ]
