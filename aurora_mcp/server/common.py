"""What the tool modules share: parameter types, the request's scope, and structured results with short text."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from aurora_mcp.retrieval.models import Citation
from aurora_mcp.scope import TenantScope
from aurora_mcp.server.context import AuroraContext, aurora_of

DEFAULT_THREAD = "default"
SNIPPET_CHARS = 280

ThreadId = Annotated[
    str,
    Field(
        description="Conversation id that ties outlines and follow-ups together; reuse the same value for the whole "
        "conversation (default: 'default').",
        min_length=1,
        max_length=200,
    ),
]
CallerApp = Annotated[
    str | None,
    Field(
        description="Name of the calling application, which namespaces threads; leave empty to use the "
        "connection's own.",
        max_length=100,
    ),
]
DocumentId = Annotated[
    str,
    Field(description="Document id (a UUID) as returned by search_documents, list_documents or ingest_file."),
]


async def scope_of(ctx: Context[Any, Any], caller_app: str | None = None) -> tuple[AuroraContext, TenantScope]:
    """The open façade and the caller's tenant scope for this request."""
    state = aurora_of(ctx)
    return state, await state.tenancy.scope_for(ctx.request_context, caller_app)


def structured(model: BaseModel, text: str) -> CallToolResult:
    """The SDK's way to send both: `model` as structured content (checked against the output schema) and a
    short text rendering for clients that only show text to the model."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.model_dump(mode="json"),
    )


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def pages_label(pages: list[int]) -> str:
    if not pages:
        return ""
    first, last = min(pages), max(pages)
    return f" (p. {first})" if first == last else f" (pp. {first}–{last})"


def cite(c: Citation) -> str:
    """`[1] Title — S2.1 Heading (p. 3): snippet…` plus the ids a follow-up call needs."""
    title = c.title or c.filename or c.document_id
    where = " ".join(part for part in (c.section_id, c.section_title) if part)
    head = f"[{c.rank}] {title}" + (f" — {where}" if where else "") + pages_label(c.pages)
    return f"{head}: {snippet(c.text)}\n    document_id={c.document_id} chunk_index={c.chunk_index}"
