"""Read-only resources: the document list, a document's detail, markdown and outline, and a thread's state."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context, MCPServer

from aurora_mcp.scope import TenantScope
from aurora_mcp.server.context import AuroraContext, aurora_of, current_request
from aurora_mcp.server.errors import resource_errors

JSON = "application/json"
LIST_LIMIT = 200


async def _scope(ctx: Context[Any, Any] | None = None) -> tuple[AuroraContext, TenantScope]:
    # Static resources get no Context from the SDK, so they read the request our middleware remembered.
    request = ctx.request_context if ctx is not None else current_request()
    state = aurora_of(request)
    return state, await state.tenancy.scope_for(request)


@resource_errors("aurora://documents")
async def documents_list() -> str:
    state, scope = await _scope()
    page = await state.app.documents.list(scope, limit=LIST_LIMIT, offset=0)
    return page.model_dump_json(indent=2)


@resource_errors("aurora://documents/{document_id}")
async def document_detail(document_id: str, ctx: Context) -> str:
    state, scope = await _scope(ctx)
    return (await state.app.documents.get(scope, document_id)).model_dump_json(indent=2)


@resource_errors("aurora://documents/{document_id}/markdown")
async def document_markdown(document_id: str, ctx: Context) -> str:
    state, scope = await _scope(ctx)
    return await state.app.documents.markdown(scope, document_id)


@resource_errors("aurora://documents/{document_id}/outline")
async def document_outline(document_id: str, ctx: Context) -> str:
    state, scope = await _scope(ctx)
    # No thread: reading a resource must not change what a conversation's follow-ups resolve against.
    outline = await state.app.conversation.get_outline(scope, document_id=document_id, thread_id=None)
    return outline.model_dump_json(indent=2)


@resource_errors("aurora://threads/{thread_id}")
async def thread_state(thread_id: str, ctx: Context) -> str:
    state, scope = await _scope(ctx)
    return (await state.app.conversation.thread(scope, thread_id)).model_dump_json(indent=2)


def register(server: MCPServer[Any]) -> None:
    server.resource(
        "aurora://documents",
        name="documents",
        title="Documents",
        description=f"The knowledge base's documents (first {LIST_LIMIT}): ids, titles, files, status, metadata.",
        mime_type=JSON,
    )(documents_list)
    server.resource(
        "aurora://documents/{document_id}",
        name="document",
        title="Document details",
        description="One document's details: status, pages, metadata, chunk and section counts, artifacts.",
        mime_type=JSON,
    )(document_detail)
    server.resource(
        "aurora://documents/{document_id}/markdown",
        name="document_markdown",
        title="Document as Markdown",
        description="The document's full text as converted by docling, in Markdown.",
        mime_type="text/markdown",
    )(document_markdown)
    server.resource(
        "aurora://documents/{document_id}/outline",
        name="document_outline",
        title="Document outline",
        description="The document's numbered sections (S1, S1.1, …) with titles and pages.",
        mime_type=JSON,
    )(document_outline)
    server.resource(
        "aurora://threads/{thread_id}",
        name="thread",
        title="Conversation thread",
        description="A thread's safe state: last outline (ids and titles), last documents, last query id.",
        mime_type=JSON,
    )(thread_state)
