"""One place that turns exceptions into what an MCP caller may see: actionable messages, never internals."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from pydantic import ValidationError

from aurora_mcp.errors import AuroraError, NotFound

logger = logging.getLogger("aurora_mcp.server")

P = ParamSpec("P")
R = TypeVar("R")

MAX_LISTED_ERRORS = 8


def request_id() -> str:
    """A short id that ties the caller's message to the server log line."""
    return secrets.token_hex(4)


def describe_validation(exc: ValidationError) -> str:
    """`invalid arguments: filters.colour: unknown field; k: …` — field paths and pydantic's reason, no values."""
    parts = []
    for err in exc.errors()[:MAX_LISTED_ERRORS]:
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        reason = "unknown field (not allowed here)" if err["type"] == "extra_forbidden" else err["msg"]
        # pydantic prefixes messages of ValueError raised in validators; the reason reads better without it.
        parts.append(f"{where}: {reason.removeprefix('Value error, ')}")
    more = len(exc.errors()) - MAX_LISTED_ERRORS
    suffix = f" (and {more} more)" if more > 0 else ""
    return "invalid arguments: " + "; ".join(parts) + suffix


def internal_error(what: str, exc: BaseException) -> str:
    """Log `exc` with a fresh request id and return the message the caller gets instead of the details."""
    rid = request_id()
    logger.error("%s failed (request id %s)", what, rid, exc_info=exc)
    return f"internal error (request id {rid}); see server logs"


def tool_errors(name: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorate a tool: domain errors become `ToolError` with their message, anything else an opaque one.

    `functools.wraps` keeps the signature the SDK reads to build the tool's input schema.
    """

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await fn(*args, **kwargs)
            except ToolError:
                raise
            except AuroraError as exc:
                raise ToolError(str(exc)) from None
            except ValidationError as exc:
                # Our own request models (SearchRequest, SearchFilters, …) validated inside the tool.
                raise ToolError(describe_validation(exc)) from None
            except Exception as exc:
                raise ToolError(internal_error(f"tool {name}", exc)) from None

        return wrapper

    return decorate


def resource_errors(uri: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorate a resource reader: a missing document is `ResourceNotFoundError`, other domain errors
    `ResourceError` with their message, and anything else an opaque message with a request id."""

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await fn(*args, **kwargs)
            except ResourceError:
                raise
            except NotFound as exc:
                raise ResourceNotFoundError(str(exc)) from None
            except AuroraError as exc:
                raise ResourceError(str(exc)) from None
            except ValidationError as exc:
                raise ResourceError(describe_validation(exc)) from None
            except Exception as exc:
                raise ResourceError(internal_error(f"resource {uri}", exc)) from None

        return wrapper

    return decorate
