"""Document tools: list, inspect, read a section or passage in full, and delete (write tool)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from aurora_mcp.documents import DeleteResult, DocumentDetail, DocumentPage, DocumentSummary
from aurora_mcp.errors import InvalidInput, NotFound
from aurora_mcp.index.base import IndexHit
from aurora_mcp.server.common import DocumentId, pages_label, scope_of, structured
from aurora_mcp.server.errors import tool_errors

MAX_SECTION_CHUNKS = 60
_BARE_SECTION = re.compile(r"^\d+(\.\d+)*$")


class ChunkText(BaseModel):
    chunk_index: int
    section_id: str | None = None
    section_title: str | None = None
    heading_path: list[str] = Field(default_factory=list)
    pages: list[int] = Field(default_factory=list)
    text: str


class SectionText(BaseModel):
    """The full text of a section (all its chunks, subsections included) or of a passage and its neighbours."""

    document_id: str
    title: str | None
    filename: str | None
    section_id: str | None = Field(description="the section read, or null when read by chunk_index")
    section_title: str | None = None
    pages: list[int]
    chunks: list[ChunkText]
    truncated: bool = Field(description=f"true when the section had more than {MAX_SECTION_CHUNKS} chunks")
    text: str = Field(description="the chunks' text joined in document order")


def _read_only(title: str) -> ToolAnnotations:
    return ToolAnnotations(
        title=title, read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )


@tool_errors("list_documents")
async def list_documents(
    ctx: Context,
    status: Annotated[
        Literal["new", "parsed", "chunked", "indexed", "error"] | None,
        Field(description="Only documents in this state (indexed = searchable; error = ingestion failed)."),
    ] = None,
    project: Annotated[str | None, Field(description="Only documents of this project.")] = None,
    workspace: Annotated[str | None, Field(description="Only documents of this workspace.")] = None,
    tags_any: Annotated[list[str] | None, Field(description="Only documents with at least one of these tags.")] = None,
    search: Annotated[str | None, Field(description="Text to look for in titles and file names.")] = None,
    limit: Annotated[int, Field(description="Page size.", ge=1, le=200)] = 50,
    offset: Annotated[int, Field(description="How many documents to skip (paging).", ge=0)] = 0,
) -> Annotated[CallToolResult, DocumentPage]:
    """List the documents in the knowledge base (titles, files, status, metadata — never their text).

    Use it when the user asks what is available, to find a document id by title or file name, or to check that an
    ingestion finished (status indexed) or failed (status error, with the reason). Page with limit/offset.
    """
    state, scope = await scope_of(ctx)
    page = await state.app.documents.list(
        scope,
        status=status,
        project=project,
        workspace=workspace,
        tags_any=tags_any,
        search=search,
        limit=limit,
        offset=offset,
    )
    return structured(page, _render_page(page))


@tool_errors("get_document")
async def get_document(ctx: Context, document_id: DocumentId) -> Annotated[CallToolResult, DocumentDetail]:
    """Show one document's details: title, file, pages, status (and error), metadata, chunk and section counts.

    Use it to check a document before citing or deleting it, or to see why an ingestion failed. For its outline
    call get_outline; for its text call read_section.
    """
    state, scope = await scope_of(ctx)
    detail = await state.app.documents.get(scope, document_id)
    lines = [_summary_line(detail), f"{detail.chunk_count} chunk(s), {detail.section_count} section(s)"]
    if detail.error_text:
        lines.append(f"error: {detail.error_text}")
    return structured(detail, "\n".join(lines))


@tool_errors("read_section")
async def read_section(
    ctx: Context,
    document_id: DocumentId,
    section_id: Annotated[
        str | None, Field(description="Section to read in full, e.g. 'S2' or 'S2.1' (ids from get_outline).")
    ] = None,
    chunk_index: Annotated[
        int | None, Field(description="A passage to read with its neighbours (chunk_index of a search result).", ge=0)
    ] = None,
    neighbours: Annotated[
        int, Field(description="With chunk_index: how many passages before and after to include.", ge=0, le=5)
    ] = 1,
) -> Annotated[CallToolResult, SectionText]:
    """Read the full text of a document section, or of one passage with the passages around it.

    Use it when a search snippet is not enough to answer: give `section_id` (S2, S2.1 …, from get_outline or a
    citation) for a whole section including its subsections, or `chunk_index` from a search result to widen it.
    Give exactly one of the two.
    """
    if (section_id is None) == (chunk_index is None):
        raise InvalidInput("give exactly one of section_id (e.g. 'S2', from get_outline) or chunk_index")
    state, scope = await scope_of(ctx)
    doc = await state.app.documents.get_record(scope, document_id)
    doc_id = str(doc.id)
    truncated = False
    wanted: str | None = None
    hits: list[IndexHit] = []
    if section_id is not None:
        wanted = _normalise_section(section_id)
        hits = await state.app.index.scroll_document(scope.tenant_id, doc_id)
        hits = [h for h in hits if _in_section(h, wanted)]
        if not hits:
            raise NotFound(
                f"section {wanted} has no text in document {doc_id}; call get_outline with this document_id "
                "to see its sections"
            )
        truncated = len(hits) > MAX_SECTION_CHUNKS
        hits = hits[:MAX_SECTION_CHUNKS]
    elif chunk_index is not None:
        hits = await state.app.index.scroll_document(
            scope.tenant_id, doc_id, chunk_from=max(0, chunk_index - neighbours), chunk_to=chunk_index + neighbours
        )
        if not any(int(h.payload.get("chunk_index", -1)) == chunk_index for h in hits):
            raise NotFound(f"document {doc_id} has no chunk {chunk_index}")
    chunks = [_chunk(h) for h in hits]
    pages = sorted({p for c in chunks for p in c.pages})
    result = SectionText(
        document_id=doc_id,
        title=doc.title,
        filename=doc.filename,
        section_id=wanted,
        section_title=next((c.section_title for c in chunks if c.section_id == wanted), None) if wanted else None,
        pages=pages,
        chunks=chunks,
        truncated=truncated,
        text="\n\n".join(c.text for c in chunks),
    )
    head = f"{doc.title or doc.filename or doc_id}"
    head += f" — {wanted} {result.section_title or ''}".rstrip() if wanted else f" — chunks around {chunk_index}"
    head += pages_label(pages) + (" [truncated]" if truncated else "")
    return structured(result, f"{head}\n\n{result.text}")


@tool_errors("delete_document")
async def delete_document(ctx: Context, document_id: DocumentId) -> Annotated[CallToolResult, DeleteResult]:
    """Delete a document for good: its record, its searchable passages and its stored files.

    Use it only when the user explicitly asks to remove a document (confirm the id with get_document first).
    It disappears from search at once; this cannot be undone — re-ingest the file to get it back.
    """
    state, scope = await scope_of(ctx)
    result = await state.app.documents.delete(scope, document_id)
    text = (
        f"Deleted document {result.document_id}: {result.points_removed} passage(s) and "
        f"{result.objects_removed} stored object(s) removed."
    )
    return structured(result, text)


def _normalise_section(raw: str) -> str:
    value = raw.strip().rstrip(".")
    if _BARE_SECTION.match(value):
        return f"S{value}"
    return value[:1].upper() + value[1:] if value[:1] in "sS" else value


def _in_section(hit: IndexHit, section_id: str) -> bool:
    own = str(hit.payload.get("section_id") or "")
    return own == section_id or own.startswith(section_id + ".")


def _chunk(hit: IndexHit) -> ChunkText:
    p = hit.payload
    return ChunkText(
        chunk_index=int(p.get("chunk_index", 0)),
        section_id=p.get("section_id"),
        section_title=p.get("section_title"),
        heading_path=list(p.get("heading_path") or []),
        pages=list(p.get("pages") or []),
        text=str(p.get("text", "")),
    )


def _summary_line(d: DocumentSummary) -> str:
    name = d.title or d.filename or d.document_id
    extra = f" ({d.filename})" if d.filename and d.filename != name else ""
    pages = f" · {d.page_count} p." if d.page_count else ""
    return f"{name}{extra}{pages} · {d.status} · document_id={d.document_id}"


def _render_page(page: DocumentPage) -> str:
    if not page.documents:
        return "No document matches." if page.total == 0 else f"No document on this page (total {page.total})."
    shown = f"{page.offset + 1}–{page.offset + len(page.documents)} of {page.total}"
    return "\n".join([f"Documents {shown}:", *(f"- {_summary_line(d)}" for d in page.documents)])


def register(server: MCPServer[Any], *, read_only: bool) -> None:
    server.add_tool(list_documents, annotations=_read_only("List documents"))
    server.add_tool(get_document, annotations=_read_only("Get document details"))
    server.add_tool(read_section, annotations=_read_only("Read a section or passage"))
    if not read_only:
        server.add_tool(
            delete_document,
            annotations=ToolAnnotations(
                title="Delete a document",
                read_only_hint=False,
                destructive_hint=True,
                idempotent_hint=False,  # a second call reports not found
                open_world_hint=False,
            ),
        )
