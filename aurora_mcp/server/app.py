"""Builds the MCP server from its parts and runs it over stdio, SSE or streamable HTTP (bearer tokens)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount

from aurora_mcp import __version__
from aurora_mcp.config import AppSettings
from aurora_mcp.server import prompts, resources, tools_conversation, tools_documents, tools_ingest, tools_search
from aurora_mcp.server.context import AuroraContext, ContextHolder, remember_request
from aurora_mcp.server.stdio_shutdown import serve_until_eof_or_signal
from aurora_mcp.server.tenancy import AuroraTokenVerifier

logger = logging.getLogger(__name__)

Transport = Literal["stdio", "sse", "http"]
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

INSTRUCTIONS = """\
Aurora Nexus is the user's document knowledge base (PDF, Word, PowerPoint, Excel, HTML, Markdown).
- Questions about the user's documents: call search_documents first and answer from the passages only, citing
  them as [n] with document title, section (S2.1 …) and page. If nothing relevant comes back, say so; never
  invent content, titles or pages. read_section gives the full text of a section or widens a passage.
- Structure: get_outline lists a document's numbered sections (S1, S2 …). After you give an answer organised
  in parts (A/B/C, 1/2/3), call set_outline with those parts. When the user then says "S2", "point B",
  "le 2e point" or "the last one", call resolve_followup and ask the user when it is not resolved.
- Keep one thread_id per conversation across these tools (default "default").
- list_documents / get_document show what is indexed; ingest_file adds a file and delete_document removes one
  (only when the user asks), when this server allows writes.
"""


def _server(
    settings: AppSettings, *, bearer_auth: bool, base_url: str
) -> tuple[MCPServer[AuroraContext], ContextHolder]:
    holder = ContextHolder(settings)
    level = settings.server.log_level.upper()
    auth_kwargs: dict[str, Any] = {}
    if bearer_auth:
        auth_kwargs = {
            "token_verifier": AuroraTokenVerifier(lambda: holder.current.app if holder.current else None),
            # This server only checks its own tokens: no OAuth issuer, no protected-resource metadata. The SDK
            # requires an issuer URL all the same; it is never advertised without resource_server_url.
            "auth": AuthSettings(issuer_url=base_url, resource_server_url=None),
        }
    server: MCPServer[AuroraContext] = MCPServer(
        "aurora-nexus",
        title="Aurora Nexus",
        description="Multi-tenant document knowledge base: cited hybrid search, outlines and follow-ups.",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=holder.lifespan(),
        log_level=level if level in _LOG_LEVELS else "INFO",  # type: ignore[arg-type]
        middleware=[remember_request],
        **auth_kwargs,
    )
    read_only = settings.server.read_only
    tools_search.register(server)
    tools_documents.register(server, read_only=read_only)
    tools_ingest.register(server, read_only=read_only)
    tools_conversation.register(server)
    resources.register(server)
    prompts.register(server)

    @server.custom_route("/healthz", methods=["GET"])
    async def healthz(_request: Request) -> Response:
        # Unauthenticated on purpose (load balancers, readiness probes); it reveals nothing about tenants.
        return JSONResponse({"status": "ok" if holder.current is not None else "starting"})

    return server, holder


def build_server(settings: AppSettings, *, bearer_auth: bool = False, base_url: str = "http://127.0.0.1") -> MCPServer:
    """The MCP server with every tool, resource and prompt; write tools are left out when read-only.

    Args:
        settings: what to open at start (one `Aurora` per process, in the lifespan).
        bearer_auth: require `Authorization: Bearer aur_…` (the HTTP transports); stdio runs as the
            configured tenant instead.
        base_url: the server's own URL, which the SDK's auth settings ask for.
    """
    return _server(settings, bearer_auth=bearer_auth, base_url=base_url)[0]


def run_server(
    settings: AppSettings, transport: Transport = "stdio", host: str = "127.0.0.1", port: int = 8765
) -> None:
    """Run until stopped. stdio writes nothing but MCP frames to stdout; logs go to stderr."""
    anyio.run(serve, settings, transport, host, port)


async def serve(settings: AppSettings, transport: Transport, host: str, port: int) -> None:
    server, holder = _server(settings, bearer_auth=transport != "stdio", base_url=f"http://{host}:{port}")
    if transport == "stdio":
        # The lifespan opens the façade inside the SDK's stdio transport, which has already moved fd 1 to
        # stderr: nothing written while engines and models load (C libraries included) can reach the wire.
        # A bad database still fails before the first frame is answered, as the domain error it is.
        await serve_until_eof_or_signal(server.run_stdio_async)
        return
    # Open the façade before the HTTP transports start: a bad database or a busy data dir is reported as the
    # domain error it is, before a port is bound.
    async with holder.open():
        if transport == "http":
            # Stateless: every request carries its token and nothing lives in a session, so replicas can sit
            # behind a load balancer.
            await _run_uvicorn(server.streamable_http_app(stateless_http=True, host=host), host, port, settings)
        elif transport == "sse":
            await _run_uvicorn(_sse_app(server, holder, host), host, port, settings)
        else:
            raise ValueError(f"unsupported transport: {transport}")


def _sse_app(server: MCPServer[Any], holder: ContextHolder, host: str) -> Starlette:
    # The SDK's SSE app enters the MCP lifespan per connection; the outer lifespan keeps the one façade
    # open, so each connection reuses it instead of opening the embedded engines again.
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with holder.open():
            yield

    return Starlette(routes=[Mount("/", app=server.sse_app(host=host))], lifespan=lifespan)


async def _run_uvicorn(app: Starlette, host: str, port: int, settings: AppSettings) -> None:
    import uvicorn  # only the HTTP transports need it

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # keep our stderr logging; uvicorn's default sends access logs to stdout
        log_level=settings.server.log_level.lower(),
        lifespan="on",
    )
    server = uvicorn.Server(config)
    await server.serve()
    if not server.started:
        raise RuntimeError(f"the HTTP server could not start on {host}:{port} (see the log above)")
