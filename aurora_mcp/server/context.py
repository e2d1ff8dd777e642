"""The MCP lifespan: one Aurora façade opened eagerly per process and handed to tools as a typed context."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer

from aurora_mcp.app import Aurora
from aurora_mcp.config import AppSettings
from aurora_mcp.server.tenancy import TenantResolver

logger = logging.getLogger(__name__)

# The request being handled, for handlers the SDK gives no Context to (static resources such as
# aurora://documents); set by `remember_request`, which wraps every inbound message.
_current_request: ContextVar[ServerRequestContext[Any, Any] | None] = ContextVar("aurora_request", default=None)


@dataclass(frozen=True)
class AuroraContext:
    """What every tool, resource and prompt reads: the open façade, its settings and the tenant resolver."""

    app: Aurora
    settings: AppSettings
    tenancy: TenantResolver


class ContextHolder:
    """Opens the one `Aurora` of the process and shares it with every lifespan entered while it is open.

    The streamable-HTTP transport enters the MCP lifespan once, but SSE and the low-level runner enter it per
    connection; embedded engines (PostgreSQL, Qdrant edge) allow one owner per data dir, so a second entry
    must reuse the open façade rather than open another.
    """

    def __init__(self, settings: AppSettings) -> None:
        self.settings = settings
        self.current: AuroraContext | None = None

    @asynccontextmanager
    async def open(self) -> AsyncIterator[AuroraContext]:
        if self.current is not None:
            yield self.current
            return
        # Eager: a bad database URL or a busy data dir fails here, at start, with the domain error's message.
        async with Aurora(self.settings) as app:
            context = AuroraContext(app=app, settings=self.settings, tenancy=TenantResolver(app, self.settings))
            self.current = context
            logger.info("aurora ready (home %s)", self.settings.home)
            try:
                yield context
            finally:
                self.current = None

    def lifespan(self) -> Callable[[MCPServer[Any]], AbstractAsyncContextManager[AuroraContext]]:
        """The `lifespan=` callable for `MCPServer`."""

        @asynccontextmanager
        async def lifespan(_server: MCPServer[Any]) -> AsyncIterator[AuroraContext]:
            async with self.open() as context:
                yield context

        return lifespan


async def remember_request(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Server middleware: keep the request context reachable by handlers that receive no `Context`."""
    token = _current_request.set(ctx)
    try:
        return await call_next(ctx)
    finally:
        _current_request.reset(token)


def current_request() -> ServerRequestContext[Any, Any]:
    """The request being handled (inside a handler only)."""
    request = _current_request.get()
    if request is None:
        raise RuntimeError("no MCP request is being handled")
    return request


def aurora_of(ctx: Context[Any, Any] | ServerRequestContext[Any, Any]) -> AuroraContext:
    """The lifespan context of a tool's `Context` (or of a raw request context)."""
    request = ctx.request_context if isinstance(ctx, Context) else ctx
    state = request.lifespan_context
    if not isinstance(state, AuroraContext):
        raise RuntimeError("the Aurora lifespan is not running")
    return state
