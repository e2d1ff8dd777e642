"""The database of a deployment without the façade: for commands that must not hold the index (keys, restore)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from aurora_mcp.config import AppSettings
from aurora_mcp.db.migrate import check_schema, migrate
from aurora_mcp.db.pool import open_pool
from aurora_mcp.ops.pgtools import server_facts, socket_dsn


@asynccontextmanager
async def database_dsn(settings: AppSettings) -> AsyncIterator[str]:
    """The DSN of the deployment's database: `AURORA_DATABASE_URL`, else the embedded server (started if needed).

    An embedded server started here is stopped on exit, unless another process (a running `aurora-mcp serve`)
    still uses it: `EmbeddedPostgres.stop` leaves it to its owner.
    """
    url = settings.database.database_url
    if url is not None:
        yield url.get_secret_value()
        return
    # Lazy: the embedded wheel is only touched when no server is configured.
    from aurora_mcp.db.embedded import EmbeddedPostgres

    settings.home.mkdir(parents=True, exist_ok=True)
    embedded = EmbeddedPostgres(settings.postgres_dir)
    dsn = await embedded.start()
    try:
        yield dsn
    finally:
        await embedded.stop()


@asynccontextmanager
async def open_database(settings: AppSettings, *, apply_migrations: bool = True) -> AsyncIterator[asyncpg.Pool]:
    """A small pool on the deployment's database with the schema checked (and migrated unless told not to).

    Only PostgreSQL is opened, so these commands run beside a live server that holds the embedded index.
    """
    async with database_dsn(settings) as dsn:
        pool = await open_pool(dsn, min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                if apply_migrations:
                    await migrate(conn)
                await check_schema(conn)
            yield pool
        finally:
            await pool.close()


async def dump_dsn(settings: AppSettings, conn: asyncpg.Connection) -> str:
    """The DSN pg_dump should use for the database `conn` is on: the configured URL, else the embedded socket."""
    url = settings.database.database_url
    if url is not None:
        return url.get_secret_value()
    return socket_dsn(await server_facts(conn))
