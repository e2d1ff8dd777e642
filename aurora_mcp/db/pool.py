"""The one place that opens the asyncpg pool: JSON codecs on every connection, failures as `DatabaseUnavailable`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg

from aurora_mcp.errors import DatabaseUnavailable

logger = logging.getLogger(__name__)

# What repositories accept: a pool for one-statement calls, a connection when the caller owns a transaction.
Executor = asyncpg.Connection | asyncpg.Pool

CONNECT_TIMEOUT_S = 10.0
# What "cannot use this server" looks like: network errors, timeouts, refusals (auth, unknown database), bad DSNs.
_CONNECT_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError)


def _json_default(value: object) -> str:
    # Ids and timestamps are the only non-JSON values repositories put in jsonb (doc ids, query ids, stamps).
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a json column")


def dumps_json(value: Any) -> str:
    """Encode a Python value for a json/jsonb parameter (UUIDs and datetimes become strings)."""
    return json.dumps(value, default=_json_default, ensure_ascii=False)


async def init_connection(conn: asyncpg.Connection) -> None:
    """Make json and jsonb columns round-trip as Python objects; used for pools and lone connections alike."""
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(type_name, encoder=dumps_json, decoder=json.loads, schema="pg_catalog")


def _endpoint(dsn: str) -> tuple[str, str, str]:
    """(where, database, user) of a DSN: where is host:port, or the Unix socket dir and port; no password."""
    try:
        parts = urlsplit(dsn)
        query = parse_qs(parts.query)
        host = unquote(parts.hostname or "") or query.get("host", [""])[0]
        try:
            port_value = parts.port
        except ValueError:
            port_value = None
        port = str(port_value) if port_value else query.get("port", ["5432"])[0]
        database = unquote(parts.path.lstrip("/")) or query.get("dbname", [""])[0]
        user = unquote(parts.username or "") or query.get("user", [""])[0]
    except ValueError:
        return "an unparsable address", "", ""
    if not host:
        where = f"localhost:{port}"
    elif host.startswith("/"):
        where = f"socket dir {host} (port {port})"
    else:
        where = f"{host}:{port}"
    return where, database, user


def describe_dsn(dsn: str) -> str:
    """A loggable description of a DSN, password removed: `user@host:port/database`.

    Args:
        dsn: a `postgresql://` URL, possibly with a password and a `?host=/socket/dir` query.

    Returns:
        The user, where the server is, and the database; never the password.
    """
    where, database, user = _endpoint(dsn)
    return f"{user + '@' if user else ''}{where}{'/' + database if database else ''}"


def _redact(text: str, dsn: str) -> str:
    # Driver messages do not carry the password, but a malformed DSN can be echoed back verbatim: scrub both.
    try:
        password = urlsplit(dsn).password
    except ValueError:
        password = None
    if password:
        text = text.replace(password, "***")
    return text.replace(dsn, describe_dsn(dsn))


def unavailable(dsn: str, exc: BaseException) -> DatabaseUnavailable:
    """The one-line error for a server that cannot be used: where it is, why, and no password."""
    reason = _redact(" ".join(str(exc).split()) or type(exc).__name__, dsn)
    where, database, user = _endpoint(dsn)
    who = f" (database {database or '?'}, user {user or '?'})" if database or user else ""
    return DatabaseUnavailable(f"PostgreSQL at {where}{who} is unavailable: {type(exc).__name__}: {reason}")


async def open_pool(dsn: str, *, min_size: int, max_size: int, timeout: float = CONNECT_TIMEOUT_S) -> asyncpg.Pool:
    """Open the application's connection pool; the caller closes it (`await pool.close()`).

    Args:
        dsn: `postgresql://user:pass@host:port/db` or `postgresql://user@/db?host=/socket/dir`.
        min_size: connections opened eagerly, so a bad server fails here rather than at the first query.
        max_size: upper bound of concurrent connections.
        timeout: seconds allowed for each connection attempt.

    Returns:
        A pool whose connections decode json/jsonb to Python objects.

    Raises:
        DatabaseUnavailable: the server is unreachable, refuses us, or the DSN is malformed; one line naming host and
            port, never the password.
    """
    try:
        pool = await asyncpg.create_pool(
            dsn, min_size=min_size, max_size=max_size, init=init_connection, timeout=timeout
        )
    except _CONNECT_ERRORS as exc:
        raise unavailable(dsn, exc) from None
    try:
        # With min_size=0 nothing connected yet: prove the server answers now, not at the first tool call.
        async with pool.acquire(timeout=timeout) as conn:
            await conn.fetchval("SELECT 1")
    except _CONNECT_ERRORS as exc:
        pool.terminate()
        raise unavailable(dsn, exc) from None
    logger.info("connected to PostgreSQL %s (pool %d..%d)", describe_dsn(dsn), min_size, max_size)
    return pool


async def connect(dsn: str, *, timeout: float = CONNECT_TIMEOUT_S) -> asyncpg.Connection:
    """Open one connection with the same codecs and error handling as `open_pool` (admin tasks, migrations)."""
    try:
        conn = await asyncpg.connect(dsn, timeout=timeout)
    except _CONNECT_ERRORS as exc:
        raise unavailable(dsn, exc) from None
    await init_connection(conn)
    return conn
