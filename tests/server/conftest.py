"""Fixtures for the MCP surface tests: environment and settings pointing at real backends in a temp dir."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aurora_mcp.config import AppSettings
from tests.server.samples import PG_HTML_DIR


def aurora_env(database_url: str, home: Path, allowed: list[Path], tenant: str = "acme") -> dict[str, str]:
    """The process environment of a server or CLI run: the test's database, an edge index and local objects.

    Inherited `AURORA_*` variables are dropped so a developer's own configuration never leaks in.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("AURORA_")}
    env.update(
        AURORA_HOME=str(home),
        AURORA_DATABASE_URL=database_url,
        AURORA_QDRANT_ENGINE="edge",
        AURORA_TENANT=tenant,
        AURORA_ALLOWED_ROOTS=json.dumps([str(p) for p in allowed]),
        AURORA_LOG_LEVEL="INFO",
    )
    return env


@pytest.fixture
def server_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return aurora_env(database_url, tmp_path / "home", [tmp_path, PG_HTML_DIR])


@pytest.fixture
def settings(server_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppSettings]:
    """AppSettings read from that environment, the way `aurora-mcp serve` reads them."""
    for name in list(os.environ):
        if name.startswith("AURORA_"):
            monkeypatch.delenv(name)
    for name, value in server_env.items():
        if name.startswith("AURORA_"):
            monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no stray .env from the repository
    yield AppSettings()
