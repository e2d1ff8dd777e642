"""The pool on real PostgreSQL: json codecs, and unusable servers reported as one safe line."""

from __future__ import annotations

import socket
import uuid

import pytest

from aurora_mcp.db.pool import connect, describe_dsn, open_pool
from aurora_mcp.errors import DatabaseUnavailable
from tests.fixtures.postgres import PostgresServer

pytestmark = pytest.mark.anyio

SECRET = "s3cr3t-Hunter2"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


async def test_an_unreachable_host_and_port_raise_database_unavailable_naming_them_without_the_password() -> None:
    port = _closed_port()
    with pytest.raises(DatabaseUnavailable) as caught:
        await open_pool(f"postgresql://alice:{SECRET}@127.0.0.1:{port}/aurora", min_size=1, max_size=2)
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message
    assert SECRET not in message
    assert "\n" not in message
    assert caught.value.__cause__ is None  # no chained driver error carrying the DSN around


async def test_an_unresolvable_host_is_reported_by_name() -> None:
    with pytest.raises(DatabaseUnavailable, match=r"no-such-host\.invalid:6543") as caught:
        await open_pool(f"postgresql://bob:{SECRET}@no-such-host.invalid:6543/aurora", min_size=1, max_size=1)
    assert SECRET not in str(caught.value)


async def test_a_server_that_never_answers_times_out_into_database_unavailable() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts the TCP handshake, never speaks PostgreSQL
        port = silent.getsockname()[1]
        with pytest.raises(DatabaseUnavailable, match=f"127.0.0.1:{port}"):
            await open_pool(f"postgresql://u:{SECRET}@127.0.0.1:{port}/db", min_size=1, max_size=1, timeout=0.5)


async def test_a_missing_database_is_reported_with_its_name(postgres_server: PostgresServer) -> None:
    missing = f"missing_{uuid.uuid4().hex[:8]}"
    with pytest.raises(DatabaseUnavailable, match=missing):
        await connect(postgres_server.url_for(missing))


async def test_a_pool_with_no_eager_connection_still_fails_at_open(postgres_server: PostgresServer) -> None:
    with pytest.raises(DatabaseUnavailable):
        await open_pool(postgres_server.url_for(f"missing_{uuid.uuid4().hex[:8]}"), min_size=0, max_size=1)


def test_describe_dsn_keeps_user_host_port_and_database_but_drops_the_password() -> None:
    assert describe_dsn(f"postgresql://bob:{SECRET}@db.example:6543/aurora") == "bob@db.example:6543/aurora"
    assert describe_dsn("postgresql://postgres@/aurora?host=/tmp/pg&port=5433") == (
        "postgres@socket dir /tmp/pg (port 5433)/aurora"
    )
    assert describe_dsn("postgresql://localhost/aurora") == "localhost:5432/aurora"


async def test_json_and_jsonb_values_round_trip_as_python_objects(db_pool) -> None:
    value = {"pages": 3, "stages": ["parse", "chunk"], "id": uuid.UUID(int=7)}
    assert await db_pool.fetchval("SELECT $1::jsonb", value) == {**value, "id": str(uuid.UUID(int=7))}
    assert await db_pool.fetchval("SELECT $1::json", [1, "é"]) == [1, "é"]
