"""The `search_documents` tool: hybrid retrieval over the tenant's documents, answered with numbered citations."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import Field, WithJsonSchema

from aurora_mcp.index.base import SearchMode
from aurora_mcp.retrieval.models import (
    DEFAULT_FETCH_K,
    DEFAULT_K,
    DEFAULT_MMR_LAMBDA,
    SearchFilters,
    SearchRequest,
    SearchResponse,
)
from aurora_mcp.server.common import DEFAULT_THREAD, CallerApp, ThreadId, cite, scope_of, structured
from aurora_mcp.server.errors import tool_errors

SEARCH_DESCRIPTION = """\
Search the user's document knowledge base and get the best passages with citations.

Use this tool whenever the user asks about the content of their documents (facts, procedures, definitions,
figures, policies) — before answering, and again when the conversation moves to a new topic. Each result
carries its document title, section id and heading (S2.1 …), pages and the passage text: cite the passages you
use as [n] with that information, and say plainly when nothing relevant was found instead of answering from
memory. Narrow with `filters` when the user names a project, tag, file type or specific documents
(`document_ids`). For a follow-up that points at a section ("tell me more about S2", "le point B"), call
resolve_followup first and search with what it returns.
"""

# Filters are validated by our own model inside the tool, so an unknown field is reported by name; the
# published schema is still the model's, so the caller sees every allowed field.
_FILTERS_SCHEMA: dict[str, Any] = {
    "anyOf": [SearchFilters.model_json_schema(), {"type": "null"}],
    "default": None,
    "description": "Metadata filters, ANDed; a list means 'any of'. Unknown fields are refused. "
    'Example: {"project": "atlas", "file_ext": ["pdf"], "tags_any": ["hr"]}.',
}

ANNOTATIONS = ToolAnnotations(
    title="Search documents",
    read_only_hint=True,
    destructive_hint=False,
    idempotent_hint=False,  # each call writes a query-log row and updates the thread's last documents
    open_world_hint=False,
)


@tool_errors("search_documents")
async def search_documents(
    ctx: Context,
    query: Annotated[str, Field(description="The question or keywords, in the user's language.")],
    k: Annotated[int, Field(description="How many passages to return.", ge=1, le=50)] = DEFAULT_K,
    fetch_k: Annotated[
        int, Field(description="Candidates considered before diversification (MMR); ≥ k.", ge=1, le=500)
    ] = DEFAULT_FETCH_K,
    mmr_lambda: Annotated[
        float | None,
        Field(description="1 = pure relevance, lower = more diverse passages; null turns MMR off.", ge=0, le=1),
    ] = DEFAULT_MMR_LAMBDA,
    filters: Annotated[dict[str, Any] | None, WithJsonSchema(_FILTERS_SCHEMA)] = None,
    mode: Annotated[
        SearchMode, Field(description="hybrid (dense + BM25, best default), dense (meaning) or sparse (exact words).")
    ] = SearchMode.HYBRID,
    thread_id: ThreadId = DEFAULT_THREAD,
    caller_app: CallerApp = None,
    group_by_document: Annotated[
        bool, Field(description="Also return the passages grouped by document (for overviews across files).")
    ] = False,
) -> Annotated[CallToolResult, SearchResponse]:
    state, scope = await scope_of(ctx, caller_app)
    request = SearchRequest.model_validate(
        {
            "query": query,
            "k": k,
            "fetch_k": fetch_k,
            "mmr_lambda": mmr_lambda,
            "filters": filters or {},
            "mode": mode,
            "thread_id": thread_id,
            "group_by_document": group_by_document,
        }
    )
    response = await state.app.retrieval.search(scope, request)
    return structured(response, render_search(response))


def render_search(response: SearchResponse) -> str:
    if not response.results:
        return (
            f'No passage matched "{response.query}". Say so to the user; try other words, fewer filters, '
            "or list_documents to see what is indexed. Do not present an answer as coming from the documents."
        )
    lines = [f'{len(response.results)} passage(s) for "{response.query}" — cite them as [n]:']
    if response.retrieval_query_final != response.query:
        lines.append(f'(found with the relaxed query "{response.retrieval_query_final}")')
    lines.extend(cite(c) for c in response.results)
    return "\n".join(lines)


def register(server: MCPServer[Any]) -> None:
    server.add_tool(search_documents, description=SEARCH_DESCRIPTION, annotations=ANNOTATIONS)
