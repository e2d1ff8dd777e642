"""Thread state, outlines and follow-up resolution for one tenant and calling application at a time."""

from __future__ import annotations

import time
import uuid

import asyncpg

from aurora_mcp.conversation.condense import condense_followup
from aurora_mcp.conversation.models import FollowupResponse, OutlineItem, OutlineResponse, ThreadView
from aurora_mcp.conversation.outline import Outline, OutlineSection, outline_from_deliverable, outline_from_sections
from aurora_mcp.conversation.references import resolve_message
from aurora_mcp.db.records import QueryLogEntry, ThreadState
from aurora_mcp.db.repositories.thread_state import ThreadStateRepository
from aurora_mcp.documents import DocumentService
from aurora_mcp.errors import InvalidInput
from aurora_mcp.ids import parse_uuid
from aurora_mcp.retrieval.models import Citation, FollowupContext, SearchFilters, SearchRequest
from aurora_mcp.retrieval.query_log import QueryLogWriter
from aurora_mcp.retrieval.service import RetrievalService
from aurora_mcp.scope import TenantScope

CONDENSE_MODEL = "deterministic"
MAX_THREAD_ID = 200


class ConversationService:
    """Keeps `thread_state` to section ids/titles and document ids/titles; resolves "S2"/"point B" against it."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        documents: DocumentService,
        retrieval: RetrievalService,
        query_log: QueryLogWriter,
    ) -> None:
        self._pool = pool
        self._documents = documents
        self._retrieval = retrieval
        self._query_log = query_log
        self._threads = ThreadStateRepository()

    async def get_outline(
        self, scope: TenantScope, *, document_id: str | None = None, thread_id: str | None = None
    ) -> OutlineResponse:
        """The numbered sections of a document, stored as the thread's last outline when a thread is given; without
        a document, the thread's last outline.

        Raises:
            InvalidInput: neither a document nor a thread with an outline.
            DocumentNotFound: the document is not this tenant's.
        """
        if document_id is None:
            if thread_id is None:
                raise InvalidInput("give a document_id, or a thread_id whose outline was stored before")
            state = await self._threads.get(self._pool, scope.tenant_id, scope.caller_app, _thread(thread_id))
            if state is None or not state.last_outline:
                raise InvalidInput(
                    f"thread {thread_id!r} has no outline yet: call get_outline with a document_id, or set_outline"
                )
            return _response(Outline.from_thread_json(state.last_outline), thread_id=thread_id, stored=True)
        doc = await self._documents.get_record(scope, document_id)
        sections = await self._documents.sections(scope, str(doc.id))
        outline = outline_from_sections(sections, str(doc.id))
        title = doc.title or doc.filename
        stored = False
        if thread_id is not None and outline.sections:
            await self._threads.upsert(
                self._pool,
                scope.tenant_id,
                scope.caller_app,
                _thread(thread_id),
                last_outline=outline.to_thread_json(),
                last_doc_ids=[str(doc.id)],
                last_titles=[title or str(doc.id)],
            )
            stored = True
        return _response(outline, thread_id=thread_id, stored=stored, title=title)

    async def set_deliverable_outline(
        self, scope: TenantScope, *, thread_id: str, items: list[str], document_ids: list[str] | None = None
    ) -> OutlineResponse:
        """Store the outline of the assistant's own answer (titles with markers such as "A. …", "1. …", "II. …")."""
        ids = [parse_uuid(d, field="document_ids") for d in document_ids or []]
        try:
            outline = outline_from_deliverable(items, ids)
        except ValueError as exc:
            raise InvalidInput(f"items: {exc}") from None
        if not outline.sections:
            raise InvalidInput("items is empty: give the titles of the answer's parts, e.g. ['A. Budget', 'B. Risks']")
        if ids:
            # Only ids of this tenant's documents may be remembered; an unknown id is an error, not a leak.
            docs = [await self._documents.get_record(scope, d) for d in ids]
            titles = [d.title or d.filename or str(d.id) for d in docs]
        else:
            titles = []
        await self._threads.upsert(
            self._pool,
            scope.tenant_id,
            scope.caller_app,
            _thread(thread_id),
            last_outline=outline.to_thread_json(),
            last_doc_ids=ids,
            last_titles=titles,
        )
        return _response(outline, thread_id=thread_id, stored=True)

    async def resolve_followup(
        self,
        scope: TenantScope,
        *,
        thread_id: str,
        message: str,
        search: bool = False,
        k: int = 8,
    ) -> FollowupResponse:
        """Find the section a follow-up refers to, build a standalone query and log it; optionally run the search
        within the thread's documents (the search's own log row then carries the follow-up fields)."""
        started = time.perf_counter()
        message = " ".join(message.split())
        if not message:
            raise InvalidInput("message is empty: pass the user's follow-up as written")
        state = await self._threads.get(self._pool, scope.tenant_id, scope.caller_app, _thread(thread_id))
        outline = Outline.from_thread_json(state.last_outline) if state and state.last_outline else None
        resolution = resolve_message(message, outline)
        condensed = condense_followup(message, resolution)
        doc_ids = resolution.document_ids or (outline.document_ids if outline else []) or _last_docs(state)
        response = FollowupResponse(
            resolved=resolution.resolved,
            reason=resolution.reason,
            ref_type=resolution.ref_type,
            matched_text=resolution.matched_text,
            section_id=",".join(s.id for s in resolution.sections) or None,
            section_title=" | ".join(s.title for s in resolution.sections) or None,
            document_ids=doc_ids,
            standalone_query=condensed.query,
            condense_used=True,
            condense_model=CONDENSE_MODEL,
            sections=[] if resolution.resolved else [_item(s) for s in resolution.candidates],
        )
        context = FollowupContext(
            resolved=resolution.resolved,
            section_id=response.section_id,
            section_title=response.section_title,
            ref_type=resolution.ref_type,
            condense_used=True,
            condense_model=CONDENSE_MODEL,
            fallback_queries=[s.title for s in resolution.sections] + [message],
        )
        if search:
            request = SearchRequest(
                query=condensed.query,
                k=k,
                filters=SearchFilters(document_ids=doc_ids or None),
                thread_id=thread_id,
            )
            found = await self._retrieval.search(scope, request, followup=context)
            if resolution.section is not None:
                found.results = _section_first(found.results, resolution.section.id)
            response.search = found
            return response
        self._query_log.submit(
            QueryLogEntry(
                id=uuid.uuid4(),
                tenant_id=uuid.UUID(scope.tenant_id),
                question=message,
                latency_ms=int((time.perf_counter() - started) * 1000),
                thread_id=thread_id,
                caller_app=scope.caller_app,
                retrieval_query_final=condensed.query,
                retrieval_queries_tried=[],
                retrieval_retry_count=0,
                condense_used=True,
                condense_model=CONDENSE_MODEL,
                filters={"document_ids": doc_ids} if doc_ids else None,
                **resolution.log_fields(),
            )
        )
        return response

    async def thread(self, scope: TenantScope, thread_id: str) -> ThreadView:
        """The thread's safe state; an unknown thread is an empty view (threads start implicitly)."""
        state = await self._threads.get(self._pool, scope.tenant_id, scope.caller_app, _thread(thread_id))
        outline = Outline.from_thread_json(state.last_outline) if state and state.last_outline else None
        return ThreadView(
            thread_id=thread_id,
            caller_app=scope.caller_app,
            outline=_response(outline, thread_id=thread_id, stored=True) if outline else None,
            last_doc_ids=_last_docs(state),
            last_titles=list(state.last_titles or []) if state else [],
            last_answer_query_id=str(state.last_answer_query_id) if state and state.last_answer_query_id else None,
            updated_at=state.updated_at if state else None,
        )


def _section_first(results: list[Citation], section_id: str) -> list[Citation]:
    """Passages of the referenced section (or its sub-sections) first, the rest after, each group in rank order:
    the user pointed at that section, so its text answers before neighbouring context."""
    inside = [c for c in results if c.section_id == section_id or (c.section_id or "").startswith(section_id + ".")]
    ordered = inside + [c for c in results if c not in inside]
    return [c.model_copy(update={"rank": rank}) for rank, c in enumerate(ordered, start=1)]


def _thread(thread_id: str) -> str:
    value = thread_id.strip()
    if not value or len(value) > MAX_THREAD_ID:
        raise InvalidInput(f"thread_id must be 1 to {MAX_THREAD_ID} characters")
    return value


def _last_docs(state: ThreadState | None) -> list[str]:
    return [str(d) for d in (state.last_doc_ids or [])] if state else []


def _item(section: OutlineSection) -> OutlineItem:
    return OutlineItem(id=section.id, title=section.title, label=section.label, level=section.level, page=section.page)


def _response(outline: Outline, *, thread_id: str | None, stored: bool, title: str | None = None) -> OutlineResponse:
    return OutlineResponse(
        source=outline.source,
        document_ids=list(outline.document_ids),
        title=title,
        sections=[_item(s) for s in outline.sections],
        thread_id=thread_id,
        stored_in_thread=stored,
    )
