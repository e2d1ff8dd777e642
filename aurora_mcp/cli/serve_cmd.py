"""`aurora-mcp serve` (the MCP server over stdio, SSE or streamable HTTP) and `aurora-mcp worker` (queued jobs)."""

from __future__ import annotations

import argparse
from typing import Any

from aurora_mcp.config import AppSettings


def add_parsers(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the MCP server",
        description="Run the MCP server. stdio (default) acts as AURORA_TENANT; sse and http require bearer tokens "
        "(see `aurora-mcp token create`).",
    )
    serve.add_argument("--transport", choices=("stdio", "sse", "http"), default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (sse, http)")
    serve.add_argument("--port", type=int, default=8765, help="port to bind (sse, http)")
    serve.add_argument("--read-only", action="store_true", help="hide the tools that write (AURORA_READ_ONLY)")
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser(
        "worker",
        help="run queued ingestion jobs",
        description="Claim queued ingestion jobs (FOR UPDATE SKIP LOCKED) and run them; any number may run at once.",
    )
    worker.add_argument("--once", action="store_true", help="run what is queued now, then exit")
    worker.add_argument("--idle-seconds", type=float, default=2.0, help="pause between polls of an empty queue")
    worker.set_defaults(handler=_worker)


def _serve(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.server.app import run_server  # the MCP SDK and uvicorn are only needed here

    if args.read_only:
        settings = settings.model_copy(update={"server": settings.server.model_copy(update={"read_only": True})})
    run_server(settings, transport=args.transport, host=args.host, port=args.port)
    return 0


def _worker(settings: AppSettings, args: argparse.Namespace) -> int:
    from aurora_mcp.app import Aurora
    from aurora_mcp.cli.main import err, run_async

    async def body() -> int:
        async with Aurora(settings) as app:
            ran = await app.queue.run_queued(idle_seconds=args.idle_seconds, once=args.once)
        err.print(f"worker ran {ran} job(s)")
        return 0

    return run_async(body)
