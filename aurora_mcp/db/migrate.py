"""Schema runner: applies the packaged baseline and numbered migrations once each, in order, under an advisory lock."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources

import asyncpg

from aurora_mcp.errors import SchemaTooNew

logger = logging.getLogger(__name__)

BASELINE_VERSION = "00_baseline"
# Shared with ops/init_db.sh so shell and Python runners serialise against each other.
LOCK_KEY = 4242001
_MIGRATION_NAME = re.compile(r"^(\d+)_[A-Za-z0-9_]+\.sql$")

_CREATE_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS public.schema_migrations (
    version text PRIMARY KEY,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
)
"""
_APPLIED = "SELECT version FROM public.schema_migrations ORDER BY version"
_RECORD = "INSERT INTO public.schema_migrations (version) VALUES ($1)"
_HAS_BOOKKEEPING = "SELECT to_regclass('public.schema_migrations') IS NOT NULL"
# A database set up before bookkeeping existed (the seed's own dump restored) already holds the baseline.
_HAS_BASELINE = "SELECT to_regclass('public.tenants') IS NOT NULL"


@dataclass(frozen=True, slots=True)
class Migration:
    """One SQL file of the schema: `version` is its file stem (`00_baseline` for aurora_schema.sql)."""

    version: str
    order: int
    sql: str


def available() -> list[Migration]:
    """The baseline then every packaged migration, ordered by numeric prefix; read from package resources.

    Returns:
        Migrations in the order they must be applied.
    """
    sql_root = resources.files("aurora_mcp") / "sql"
    found = [Migration(BASELINE_VERSION, 0, (sql_root / "aurora_schema.sql").read_text(encoding="utf-8"))]
    numbered = []
    for entry in (sql_root / "migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            stem = entry.name.removesuffix(".sql")
            numbered.append(Migration(stem, int(match.group(1)), entry.read_text(encoding="utf-8")))
    numbered.sort(key=lambda m: (m.order, m.version))
    return found + numbered


@asynccontextmanager
async def _connection(target: asyncpg.Pool | asyncpg.Connection) -> AsyncIterator[asyncpg.Connection]:
    if isinstance(target, asyncpg.Pool):
        async with target.acquire() as conn:
            yield conn
    else:
        yield target


async def _applied(conn: asyncpg.Connection) -> set[str]:
    if not await conn.fetchval(_HAS_BOOKKEEPING):
        return set()
    return {row["version"] for row in await conn.fetch(_APPLIED)}


async def pending(target: asyncpg.Pool | asyncpg.Connection) -> list[str]:
    """Versions the code knows and the database has not recorded, in application order."""
    async with _connection(target) as conn:
        done = await _applied(conn)
    return [m.version for m in available() if m.version not in done]


async def check_schema(target: asyncpg.Pool | asyncpg.Connection) -> None:
    """Refuse to run against a database written by a newer release.

    Raises:
        SchemaTooNew: the database records migration versions this code does not ship; the message names them.
    """
    async with _connection(target) as conn:
        done = await _applied(conn)
    unknown = sorted(done - {m.version for m in available()})
    if unknown:
        raise SchemaTooNew(
            f"the database has schema migration(s) {', '.join(unknown)} that this aurora-mcp does not know; "
            "a newer release wrote them: upgrade aurora-mcp (or point it at another database)"
        )


async def migrate(target: asyncpg.Pool | asyncpg.Connection) -> list[str]:
    """Apply every pending migration, each in its own transaction, and record it in `schema_migrations`.

    A session advisory lock (`LOCK_KEY`, shared with ops/init_db.sh) makes concurrent runners wait for each other;
    the pending list is read after the lock is held, so each file runs once even when two processes start together.

    Args:
        target: a pool (one connection is borrowed) or a connection not inside a transaction.

    Returns:
        The versions applied by this call, in order; empty when the schema was already current.

    Raises:
        SchemaTooNew: the database already holds migrations newer than this code.
        asyncpg.PostgresError: a migration failed; its transaction was rolled back and later ones were not tried.
    """
    applied_now: list[str] = []
    async with _connection(target) as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        try:
            await conn.execute(_CREATE_BOOKKEEPING)
            await check_schema(conn)
            done = await _applied(conn)
            for migration in available():
                if migration.version in done:
                    continue
                async with conn.transaction():
                    if migration.version == BASELINE_VERSION and await conn.fetchval(_HAS_BASELINE):
                        logger.info("schema baseline already present; recording %s without applying", migration.version)
                    else:
                        logger.info("applying schema migration %s", migration.version)
                        await conn.execute(migration.sql)
                    await conn.execute(_RECORD, migration.version)
                applied_now.append(migration.version)
        finally:
            # A dropped connection has already released its session lock; unlocking it would mask the real error.
            if not conn.is_closed():
                await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
    return applied_now
