"""EmbeddedPostgres from the wheel: start, share one data dir safely between handles and processes, stop."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from aurora_mcp.db.embedded import EmbeddedPostgres
from aurora_mcp.db.pgprocess import FileLock, Postmaster
from aurora_mcp.errors import EngineBusy
from tests.fixtures.postgres import run_async

pytestmark = pytest.mark.anyio
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def initialised_dir() -> Iterator[Path]:
    """A data dir initdb'd once (~3 s); tests copy it so each starts from a stopped, never-shared server."""
    # Outside pytest's basetemp for the reason pg_tmp_path gives.
    holder = Path(tempfile.mkdtemp(prefix="aurora-pg-"))
    server = EmbeddedPostgres(holder / "pg")
    started = time.perf_counter()
    run_async(server.start)
    print(f"\nembedded PostgreSQL first start (initdb + start): {time.perf_counter() - started:.2f} s")
    run_async(server.stop)
    yield holder / "pg"
    shutil.rmtree(holder, ignore_errors=True)


@pytest.fixture
def data_dir(initialised_dir: Path, pg_tmp_path: Path) -> Iterator[Path]:
    target = pg_tmp_path / "pg"
    # cp -a keeps ownership: as root the data belongs to the service user, and PostgreSQL checks that.
    subprocess.run(["cp", "-a", str(initialised_dir), str(target)], check=True)
    yield target
    leftover = Postmaster.read(target / "data")
    if leftover is not None:  # a failed test must not leave a server behind
        subprocess.run(["kill", "-9", str(leftover.pid)], check=False)


def _running(data_dir: Path) -> bool:
    return Postmaster.read(data_dir / "data") is not None


async def _select_one(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT 1")
    finally:
        await conn.close()


async def test_it_starts_serves_the_aurora_database_over_a_socket_and_stops(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir)
    started = time.perf_counter()
    dsn = await server.start()
    restart_seconds = time.perf_counter() - started
    assert server.owned
    assert "/aurora?host=/" in dsn
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT current_database()") == "aurora"
        assert int(await conn.fetchval("SHOW server_version_num")) >= 180000
        assert await conn.fetchval("SHOW listen_addresses") == ""  # no TCP port: the socket dir is the boundary
    finally:
        await conn.close()
    await server.stop()
    assert not _running(data_dir)
    print(f"\nembedded PostgreSQL start of an initialised data dir: {restart_seconds:.2f} s")


async def test_a_second_handle_on_the_same_dir_joins_the_server_and_leaves_it_to_the_owner(data_dir: Path) -> None:
    owner, guest = EmbeddedPostgres(data_dir), EmbeddedPostgres(data_dir)
    dsn = await owner.start()
    try:
        assert await guest.start() == dsn
        assert not guest.owned
        await guest.stop()
        assert await _select_one(dsn) == 1  # the guest did not stop the owner's server
    finally:
        await owner.stop()
    assert not _running(data_dir)


async def test_a_second_process_on_the_same_dir_joins_the_running_server_instead_of_starting_one(
    data_dir: Path,
) -> None:
    owner = EmbeddedPostgres(data_dir)
    await owner.start()
    script = textwrap.dedent(
        f"""
        import anyio
        from aurora_mcp.db.embedded import EmbeddedPostgres
        from aurora_mcp.db.pgprocess import Postmaster

        async def main():
            server = EmbeddedPostgres({str(data_dir)!r})
            await server.start()
            print(server.owned, Postmaster.read(server.pgdata).pid)
            await server.stop()

        anyio.run(main)
        """
    )
    try:
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert result.returncode == 0, result.stderr
        owned, pid = result.stdout.split()
        assert owned == "False"
        assert int(pid) == Postmaster.read(data_dir / "data").pid
        assert _running(data_dir)
    finally:
        await owner.stop()
    assert not _running(data_dir)


async def test_the_owner_leaves_the_server_up_while_others_are_connected_and_the_last_handle_stops_it(
    data_dir: Path,
) -> None:
    owner, guest = EmbeddedPostgres(data_dir), EmbeddedPostgres(data_dir)
    await owner.start()
    dsn = await guest.start()
    conn = await asyncpg.connect(dsn)
    try:
        await owner.stop()
        assert await conn.fetchval("SELECT 1") == 1  # still served: the owner stepped down instead
    finally:
        await conn.close()
    await guest.stop()
    assert not _running(data_dir)


async def test_keep_running_leaves_the_server_up_and_the_next_start_adopts_it(data_dir: Path) -> None:
    first = EmbeddedPostgres(data_dir, keep_running=True)
    await first.start()
    await first.stop()
    assert _running(data_dir)
    second = EmbeddedPostgres(data_dir)
    started = time.perf_counter()
    await second.start()
    assert time.perf_counter() - started < 2
    assert second.owned
    await second.stop()
    assert not _running(data_dir)


async def test_a_stale_postmaster_pid_of_a_dead_server_does_not_block_the_start(data_dir: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    fake = f"{dead.pid}\n{data_dir / 'data'}\n0\n5432\n{data_dir / 'run'}\n\n  0 0\nready\n"
    (data_dir / "data" / "postmaster.pid").write_text(fake)
    server = EmbeddedPostgres(data_dir)
    dsn = await server.start()
    try:
        assert await _select_one(dsn) == 1
    finally:
        await server.stop()


async def test_a_data_dir_held_by_a_process_that_does_not_answer_raises_engine_busy(
    data_dir: Path, tmp_path: Path
) -> None:
    # A live process named "postgres" that never opens the socket: what a hung or foreign server looks like.
    impostor_bin = tmp_path / "postgres"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", impostor_bin)
    impostor = subprocess.Popen([str(impostor_bin), "30"])
    try:
        fake = f"{impostor.pid}\n{data_dir / 'data'}\n0\n5432\n{tmp_path}\n\n  0 0\nready\n"
        (data_dir / "data" / "postmaster.pid").write_text(fake)
        with pytest.raises(EngineBusy, match=f"held by process {impostor.pid}"):
            await EmbeddedPostgres(data_dir, start_timeout=0.5).start()
    finally:
        impostor.kill()
        impostor.wait()


async def test_a_start_blocked_by_another_start_or_stop_gives_up_with_engine_busy(data_dir: Path) -> None:
    lock = FileLock(data_dir / ".lock")
    lock.acquire(1)
    try:
        with pytest.raises(EngineBusy, match="starting or stopping"):
            await EmbeddedPostgres(data_dir, start_timeout=0.3).start()
    finally:
        lock.release()
