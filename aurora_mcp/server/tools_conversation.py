"""Conversation tools: numbered outlines, the assistant's own outline, follow-up resolution and thread state."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field

from aurora_mcp.conversation.models import FollowupResponse, OutlineItem, OutlineResponse, ThreadView
from aurora_mcp.retrieval.models import DEFAULT_K
from aurora_mcp.server.common import DEFAULT_THREAD, CallerApp, ThreadId, cite, scope_of, structured
from aurora_mcp.server.errors import tool_errors

MAX_OUTLINE_ITEMS = 200


@tool_errors("get_outline")
async def get_outline(
    ctx: Context,
    document_id: Annotated[
        str | None,
        Field(description="Document whose numbered sections you want; omit to get the thread's last outline."),
    ] = None,
    thread_id: ThreadId = DEFAULT_THREAD,
    caller_app: CallerApp = None,
) -> Annotated[CallToolResult, OutlineResponse]:
    """Get the numbered outline (S1, S1.1, S2 …) of a document and remember it for this conversation.

    Use it when the user asks what a document contains or how it is organised, and before presenting an answer
    structured by sections, so that follow-ups like "tell me more about S2" can be resolved by resolve_followup.
    Without document_id it returns the outline last stored in the thread.
    """
    state, scope = await scope_of(ctx, caller_app)
    outline = await state.app.conversation.get_outline(scope, document_id=document_id, thread_id=thread_id)
    return structured(outline, render_outline(outline))


@tool_errors("set_outline")
async def set_outline(
    ctx: Context,
    items: Annotated[
        list[str],
        Field(
            description="Your answer's headings in order, with their markers as shown to the user, e.g. "
            "['A. Costs', 'B. Risks', 'C. Timeline'] or ['1. Scope', '2. Method'].",
            min_length=1,
            max_length=MAX_OUTLINE_ITEMS,
        ),
    ],
    thread_id: ThreadId = DEFAULT_THREAD,
    document_ids: Annotated[
        list[str] | None, Field(description="Documents your answer drew on (ids from the citations).")
    ] = None,
    caller_app: CallerApp = None,
) -> Annotated[CallToolResult, OutlineResponse]:
    """Remember the outline of the structured answer you just gave (its parts A/B/C, 1/2/3, I/II …).

    Use it right after answering with numbered or lettered parts, so that the user's next message — "develop
    point B", "le 2e point", "the last one" — can be resolved by resolve_followup against your own structure.
    Stores titles and markers only, never text.
    """
    state, scope = await scope_of(ctx, caller_app)
    outline = await state.app.conversation.set_deliverable_outline(
        scope, thread_id=thread_id, items=items, document_ids=document_ids
    )
    return structured(outline, render_outline(outline))


@tool_errors("resolve_followup")
async def resolve_followup(
    ctx: Context,
    message: Annotated[str, Field(description="The user's follow-up message, verbatim.", min_length=1)],
    thread_id: ThreadId = DEFAULT_THREAD,
    search: Annotated[
        bool, Field(description="Also run the search within the resolved documents and return the passages.")
    ] = False,
    k: Annotated[int, Field(description="Passages to return when search is true.", ge=1, le=50)] = DEFAULT_K,
    caller_app: CallerApp = None,
) -> Annotated[CallToolResult, FollowupResponse]:
    """Work out which section or point a follow-up refers to ("S2", "section 2", "§3", "point B", "le 2e point",
    "the last one", "deuxième partie", roman numerals) and get a standalone query for it.

    Use it when the user's message points back at a numbered or lettered part of a previous answer or outline.
    It returns the section, the document ids to search within and a standalone query (pass them to
    search_documents, or set search=true to get the passages directly). When it is not resolved, ask the user
    which part they mean, offering the listed sections; do not guess.
    """
    state, scope = await scope_of(ctx, caller_app)
    result = await state.app.conversation.resolve_followup(
        scope, thread_id=thread_id, message=message, search=search, k=k
    )
    return structured(result, render_followup(result))


@tool_errors("get_thread")
async def get_thread(
    ctx: Context,
    thread_id: ThreadId = DEFAULT_THREAD,
    caller_app: CallerApp = None,
) -> Annotated[CallToolResult, ThreadView]:
    """Show what this conversation remembers: its last outline, the documents last cited and the last query id.

    Use it to recover context after a pause, or to check which outline resolve_followup will use.
    """
    state, scope = await scope_of(ctx, caller_app)
    view = await state.app.conversation.thread(scope, thread_id)
    lines = [f"thread {view.thread_id} ({view.caller_app})"]
    if view.last_titles:
        lines.append("last documents: " + "; ".join(view.last_titles))
    lines.append(render_outline(view.outline) if view.outline else "no outline stored")
    return structured(view, "\n".join(lines))


def _item_line(item: OutlineItem) -> str:
    indent = "  " * max(0, item.level - 1)
    label = f" [{item.label}]" if item.label and item.label != item.id else ""
    page = f" (p. {item.page})" if item.page else ""
    return f"{indent}{item.id}{label} {item.title}{page}"


def render_outline(outline: OutlineResponse) -> str:
    what = outline.title or ("your answer" if outline.source == "deliverable" else "the document")
    head = f"Outline of {what}"
    if outline.stored_in_thread and outline.thread_id:
        head += f" (remembered in thread {outline.thread_id})"
    if not outline.sections:
        return head + ": no sections found."
    return "\n".join([head + ":", *(_item_line(i) for i in outline.sections)])


def render_followup(result: FollowupResponse) -> str:
    if not result.resolved:
        options = "; ".join(f"{i.id} {i.title}" for i in result.sections[:20])
        text = f"Not resolved: {result.reason or 'no reference found'}. Ask the user which part they mean"
        return text + (f" — options: {options}" if options else ".")
    target = " ".join(p for p in (result.section_id, result.section_title) if p)
    lines = [
        f"Resolved '{result.matched_text or ''}' → {target}",
        f"standalone query: {result.standalone_query}",
        f"search within document_ids: {', '.join(result.document_ids) or '(all)'}",
    ]
    if result.search is not None:
        if result.search.results:
            lines.append("passages — cite them as [n]:")
            lines.extend(cite(c) for c in result.search.results)
        else:
            lines.append("no passage found for it; say so rather than guessing")
    return "\n".join(lines)


def _annotations(title: str, *, read_only: bool, idempotent: bool) -> ToolAnnotations:
    return ToolAnnotations(
        title=title,
        read_only_hint=read_only,
        destructive_hint=False,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


def register(server: MCPServer[Any]) -> None:
    # Reading outlines and resolving follow-ups only update the thread's bookkeeping (ids and titles, like a
    # query log), so they count as read-only; set_outline is the one explicit write. None touches documents,
    # so all stay available on a read-only server, whose point is to protect the knowledge base.
    server.add_tool(get_outline, annotations=_annotations("Get a document outline", read_only=True, idempotent=True))
    server.add_tool(set_outline, annotations=_annotations("Remember your outline", read_only=False, idempotent=True))
    server.add_tool(resolve_followup, annotations=_annotations("Resolve a follow-up", read_only=True, idempotent=False))
    server.add_tool(get_thread, annotations=_annotations("Show thread state", read_only=True, idempotent=True))
