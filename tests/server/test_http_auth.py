"""Streamable HTTP and SSE with bearer tokens: 401 without a valid token, and tenants that never see each other."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

from tests.server.samples import HANDBOOK_MD
from tests.server.test_tools import call, error_of

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

CLI = [sys.executable, "-m", "aurora_mcp.cli.main"]
READY_TIMEOUT_S = 240.0
CALL_TIMEOUT_S = 300.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_token(env: dict[str, str], tenant: str, app: str) -> str:
    done = subprocess.run(
        [*CLI, "token", "create", "--tenant", tenant, "--app", app],
        env=env,
        capture_output=True,
        text=True,
        timeout=CALL_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("aur_"), done.stdout
    return lines[0]


@contextlib.contextmanager
def running_server(env: dict[str, str], transport: str, log: Path) -> Iterator[str]:
    """Start `aurora-mcp serve` on a free port, wait for /healthz, yield its base URL, stop it by PID."""
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*CLI, "serve", "--transport", transport, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            assert process.poll() is None, f"server exited: {log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"server not ready: {log.read_text()[-3000:]}"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=2).json().get("status") == "ok":
                    break
            time.sleep(0.3)
        yield base
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()


def http_client(base: str, token: str) -> Client:
    headers = {"Authorization": f"Bearer {token}"}
    transport = streamable_http_client(f"{base}/mcp", http_client=create_mcp_http_client(headers=headers))
    return Client(transport, read_timeout_seconds=CALL_TIMEOUT_S)


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"]


async def assert_sees_nothing_of(client: Client, doc_id: str, job_id: str, thread: str) -> None:
    found = await call(client, "search_documents", {"query": "vacation days per month", "thread_id": thread})
    assert found["results"] == []
    assert (await call(client, "list_documents", {}))["total"] == 0
    for tool, args in (
        ("get_document", {"document_id": doc_id}),
        ("read_section", {"document_id": doc_id, "chunk_index": 0}),
        ("get_outline", {"document_id": doc_id, "thread_id": thread}),
        ("delete_document", {"document_id": doc_id}),
        ("get_ingestion_job", {"job_id": job_id}),
    ):
        assert "not found" in (await error_of(client, tool, args)).lower(), tool
    thread_view = await call(client, "get_thread", {"thread_id": thread})
    assert thread_view["outline"] is None and thread_view["last_doc_ids"] == []
    listing = (await client.read_resource("aurora://documents")).contents[0]
    assert '"total": 0' in listing.text  # type: ignore[union-attr]
    for uri in (f"aurora://documents/{doc_id}", f"aurora://documents/{doc_id}/markdown"):
        with pytest.raises(MCPError):
            await client.read_resource(uri)


async def test_http_refuses_missing_and_bad_tokens_and_keeps_each_tenant_to_its_own_documents(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    alpha = create_token(server_env, "alpha", "desk")
    beta = create_token(server_env, "beta", "desk")
    with running_server(server_env, "http", tmp_path / "http.log") as base:
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        accept = {"Accept": "application/json, text/event-stream"}
        assert_refused(httpx.post(f"{base}/mcp", json=ping, headers=accept))
        for bad in ("aur_" + "x" * 43, "not-even-ours", alpha + "x"):
            assert_refused(httpx.post(f"{base}/mcp", json=ping, headers={**accept, "Authorization": f"Bearer {bad}"}))

        async with http_client(base, alpha) as client:
            args = {"content": HANDBOOK_MD, "filename": "handbook.md", "encoding": "text"}
            doc = await call(client, "ingest_file", args)
            doc_id, job_id = doc["document_id"], doc["job_id"]
            await call(client, "get_outline", {"document_id": doc_id, "thread_id": "shared"})
            mine = await call(client, "search_documents", {"query": "vacation days per month", "thread_id": "shared"})
            assert mine["results"] and mine["results"][0]["document_id"] == doc_id

        async with http_client(base, beta) as client:
            await assert_sees_nothing_of(client, doc_id, job_id, "shared")

        async with http_client(base, alpha) as client:  # still there for its owner
            assert (await call(client, "get_document", {"document_id": doc_id}))["status"] == "indexed"
            thread: dict[str, Any] = await call(client, "get_thread", {"thread_id": "shared"})
            assert thread["outline"] is not None


async def test_sse_requires_a_token_too_and_scopes_the_session_to_its_tenant(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    alpha = create_token(server_env, "alpha", "desk")
    beta = create_token(server_env, "beta", "desk")
    with running_server(server_env, "sse", tmp_path / "sse.log") as base:
        assert_refused(httpx.get(f"{base}/sse", timeout=10))
        with httpx.stream("GET", f"{base}/sse", headers={"Authorization": "Bearer aur_nope"}, timeout=10) as bad:
            assert bad.status_code == 401

        alpha_sse = sse_client(f"{base}/sse", headers={"Authorization": f"Bearer {alpha}"})
        async with Client(alpha_sse, read_timeout_seconds=CALL_TIMEOUT_S) as client:
            args = {"content": HANDBOOK_MD, "filename": "handbook.md", "encoding": "text"}
            doc = await call(client, "ingest_file", args)
            found = await call(client, "search_documents", {"query": "vacation days per month"})
            assert found["results"][0]["document_id"] == doc["document_id"]

        beta_sse = sse_client(f"{base}/sse", headers={"Authorization": f"Bearer {beta}"})
        async with Client(beta_sse, read_timeout_seconds=CALL_TIMEOUT_S) as client:
            await assert_sees_nothing_of(client, doc["document_id"], doc["job_id"], "shared")
