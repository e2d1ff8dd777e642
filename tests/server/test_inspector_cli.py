"""The official MCP Inspector (CLI mode, Node) drives `aurora-mcp serve` over stdio: another client, same server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.server.samples import HANDBOOK_MD

pytestmark = pytest.mark.e2e

INSPECTOR = "@modelcontextprotocol/inspector"
LOCAL_INSPECTOR = Path(__file__).resolve().parents[2] / ".cache/inspector/node_modules/.bin/mcp-inspector"
TIMEOUT_S = 300.0  # the first run downloads the inspector into the npx cache


def server_command() -> list[str]:
    """The console script of this environment, as a host's config would name it."""
    script = Path(sys.executable).parent / "aurora-mcp"
    return [str(script)] if script.exists() else [sys.executable, "-m", "aurora_mcp.cli.main"]


def inspector_command() -> list[str]:
    """The copy ops/install.sh puts in .cache/inspector, else npx (which fetches it into its cache once)."""
    if LOCAL_INSPECTOR.exists():
        return [str(LOCAL_INSPECTOR)]
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail("node/npx is not on PATH: install Node.js 18+ to run the MCP Inspector tests")
    return [npx, "-y", INSPECTOR]


def inspector(env: dict[str, str], cwd: Path, *method_args: str) -> Any:
    # The inspector starts the server with a minimal environment of its own: pass ours explicitly.
    passed = [arg for name, value in env.items() if name.startswith("AURORA_") for arg in ("-e", f"{name}={value}")]
    command = [*inspector_command(), "--cli", *passed, *server_command(), "serve", *method_args]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, f"inspector failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return json.loads(done.stdout)


def test_the_inspector_lists_the_tools_and_calls_search_documents(server_env: dict[str, str], tmp_path: Path) -> None:
    notes = tmp_path / "handbook.md"
    notes.write_text(HANDBOOK_MD, encoding="utf-8")
    ingest = subprocess.run(
        [*server_command(), "ingest", str(notes)], env=server_env, capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert ingest.returncode == 0, ingest.stderr

    listed = inspector(server_env, tmp_path, "--method", "tools/list")
    names = {tool["name"] for tool in listed["tools"]}
    assert {"search_documents", "ingest_file", "get_outline", "resolve_followup"} <= names

    called = inspector(
        server_env,
        tmp_path,
        "--method",
        "tools/call",
        "--tool-name",
        "search_documents",
        "--tool-arg",
        "query=how many vacation days per month",
        "--tool-arg",
        "k=3",
    )
    assert not called.get("isError"), called
    results = called["structuredContent"]["results"]
    assert results and results[0]["section_title"] == "Vacation policy"
    assert called["content"][0]["text"].splitlines()[1].startswith("[1] ")
