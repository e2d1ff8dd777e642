"""End to end over stdio: `aurora-mcp serve` in a subprocess, driven by the MCP client and by raw JSON-RPC frames."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import TextResourceContents

from tests.server.samples import PG_HTML_DIR, PG_PAGES, write_docx, write_pdf
from tests.server.test_tools import call

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

SERVE = [sys.executable, "-m", "aurora_mcp.cli.main", "serve"]
TIMEOUT_S = 300.0
NOTE_MD = "# Notes\n\nThe kettle boils at noon."


def stdio_params(env: dict[str, str], cwd: Path) -> StdioServerParameters:
    return StdioServerParameters(command=SERVE[0], args=SERVE[1:], env=env, cwd=str(cwd))


async def search_top(client: Client, query: str, **extra: Any) -> list[dict[str, Any]]:
    found = await call(client, "search_documents", {"query": query, "k": 5, **extra})
    return found["results"]


async def test_documents_ingested_over_stdio_are_found_outlined_followed_up_read_and_deleted(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    assert PG_HTML_DIR.is_dir(), "install postgresql-doc-15 (apt-get install postgresql-doc-15)"
    docx_path = write_docx(tmp_path / "telescope.docx")
    pdf_path = write_pdf(tmp_path / "glaciers.pdf")
    ids: dict[str, str] = {}
    async with Client(stdio_params(server_env, tmp_path), read_timeout_seconds=TIMEOUT_S) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {"search_documents", "ingest_file", "get_outline", "resolve_followup"} <= names

        for path in [*(PG_HTML_DIR / page for page in PG_PAGES), docx_path, pdf_path]:
            done = await call(client, "ingest_file", {"path": str(path), "project": "e2e"})
            assert done["status"] == "done", done
            ids[path.name] = done["document_id"]

        vacuum = await search_top(client, "VACUUM FULL rewrites the table to reclaim disk space")
        assert vacuum[0]["document_id"] == ids["sql-vacuum.html"]
        assert vacuum[0]["section_title"] and vacuum[0]["title"]
        window = await search_top(client, "window function OVER PARTITION BY rows related to the current row")
        assert window[0]["document_id"] == ids["tutorial-window.html"]
        gyro = await search_top(client, "how many gyroscopes were replaced during the servicing mission")
        assert gyro[0]["document_id"] == ids["telescope.docx"]
        flood = await search_top(client, "moraine breach glacial lake outburst flood")
        assert flood[0]["document_id"] == ids["glaciers.pdf"]

        outline = await call(client, "get_outline", {"document_id": ids["sql-vacuum.html"], "thread_id": "pg"})
        assert len(outline["sections"]) >= 4
        followup = await call(
            client, "resolve_followup", {"thread_id": "pg", "message": "tell me more about S2", "search": True}
        )
        assert followup["resolved"] is True, followup
        assert followup["document_ids"] == [ids["sql-vacuum.html"]]
        assert followup["search"]["results"]
        assert {r["document_id"] for r in followup["search"]["results"]} == {ids["sql-vacuum.html"]}

        contents = (await client.read_resource(f"aurora://documents/{ids['telescope.docx']}/markdown")).contents
        assert isinstance(contents[0], TextResourceContents) and "Gyroscope replacement" in contents[0].text
        listing = json.loads((await client.read_resource("aurora://documents")).contents[0].text)  # type: ignore[union-attr]
        assert listing["total"] == len(ids)

        await call(client, "delete_document", {"document_id": ids["glaciers.pdf"]})
        after = await search_top(client, "moraine breach glacial lake outburst flood")
        assert all(r["document_id"] != ids["glaciers.pdf"] for r in after)


def _frame(message_id: int | None, method: str, params: dict[str, Any]) -> bytes:
    frame: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if message_id is not None:
        frame["id"] = message_id
    return (json.dumps(frame) + "\n").encode()


def test_stdout_carries_nothing_but_json_rpc_frames_even_while_models_load(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    # The SDK client tolerates (logs) a stray line; a real host may not, so read the raw stream here.
    stderr_log = tmp_path / "server-stderr.log"
    with stderr_log.open("wb") as errors:
        process = subprocess.Popen(
            SERVE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=server_env, cwd=tmp_path
        )
    assert process.stdin is not None and process.stdout is not None
    try:
        answered: dict[int, dict[str, Any]] = {}
        deadline = time.monotonic() + TIMEOUT_S

        def send(message_id: int | None, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
            """Write one frame; for a request, read frames until its answer (the server runs requests in parallel)."""
            process.stdin.write(_frame(message_id, method, params))  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]
            while message_id is not None and message_id not in answered and time.monotonic() < deadline:
                line = process.stdout.readline()  # type: ignore[union-attr]
                assert line, f"server closed stdout early; stderr: {stderr_log.read_text()[-2000:]}"
                message = json.loads(line)  # anything that is not a JSON-RPC frame fails here
                assert message["jsonrpc"] == "2.0"
                if "id" in message:
                    answered[message["id"]] = message
            return answered.get(message_id) if message_id is not None else None

        hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}
        assert "result" in (send(1, "initialize", hello) or {})
        send(None, "notifications/initialized", {})
        assert "result" in (send(2, "tools/list", {}) or {})
        ingest = {"content": NOTE_MD, "filename": "n.md", "encoding": "text"}
        ingested = send(3, "tools/call", {"name": "ingest_file", "arguments": ingest}) or {}
        assert ingested["result"]["structuredContent"]["status"] == "done", ingested
        found = send(4, "tools/call", {"name": "search_documents", "arguments": {"query": "kettle"}}) or {}
        assert found["result"]["structuredContent"]["results"], found
        process.stdin.close()  # EOF: the server shuts down cleanly, closing the embedded engines
        for line in process.stdout.read().splitlines():
            assert json.loads(line)["jsonrpc"] == "2.0"
        assert process.wait(timeout=120) == 0, stderr_log.read_text()[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sigterm_ends_the_session_through_the_lifespan_and_stops_the_embedded_postgres(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    env = {name: value for name, value in server_env.items() if name != "AURORA_DATABASE_URL"}
    home = Path(env["AURORA_HOME"])
    stderr_log = tmp_path / "server-stderr.log"
    with stderr_log.open("wb") as errors:
        process = subprocess.Popen(
            SERVE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=env, cwd=tmp_path
        )
    assert process.stdin is not None and process.stdout is not None
    try:
        hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}
        process.stdin.write(_frame(1, "initialize", hello))
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["id"] == 1  # the lifespan (embedded PostgreSQL) is up
        assert (home / "postgres" / "data" / "postmaster.pid").exists()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0, stderr_log.read_text()[-2000:]
        assert not (home / "postgres" / "data" / "postmaster.pid").exists(), "embedded PostgreSQL left running"
        assert "embedded PostgreSQL stopped" in stderr_log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
