"""Thread state, outlines and follow-up resolution for one tenant and calling application at a time."""

from __future__ import annotations

import asyncpg

from aurora_mcp.conversation.models import FollowupResponse, OutlineItem, OutlineResponse, ThreadView
from aurora_mcp.db.repositories.documents import DocumentRepository
from aurora_mcp.db.repositories.thread_state import ThreadStateRepository
from aurora_mcp.errors import InvalidInput
from aurora_mcp.retrieval.query_log import QueryLogWriter
from aurora_mcp.retrieval.service import RetrievalService
from aurora_mcp.scope import TenantScope
from aurora_mcp.storage.base import ObjectStore


class ConversationService:
    """Keeps `thread_state` to section ids/titles and document ids/titles; resolves "S2"/"point B" against it."""

    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        store: ObjectStore,
        retrieval: RetrievalService,
        query_log: QueryLogWriter,
    ) -> None:
        self._pool = pool
        self._store = store
        self._retrieval = retrieval
        self._query_log = query_log
        self._threads = ThreadStateRepository()
        self._documents = DocumentRepository()

    async def get_outline(
        self, scope: TenantScope, *, document_id: str | None = None, thread_id: str | None = None
    ) -> OutlineResponse:
        """The numbered sections of a document (stored as the thread's last outline when a thread is given), or,
        without a document, the thread's last outline."""
        raise InvalidInput("not wired yet")

    async def set_deliverable_outline(
        self, scope: TenantScope, *, thread_id: str, items: list[str], document_ids: list[str] | None = None
    ) -> OutlineResponse:
        """Store the outline of the assistant's own answer (titles with markers such as "A. …", "1. …", "II. …")."""
        raise InvalidInput("not wired yet")

    async def resolve_followup(
        self,
        scope: TenantScope,
        *,
        thread_id: str,
        message: str,
        search: bool = False,
        k: int = 8,
    ) -> FollowupResponse:
        """Find the section a follow-up refers to, build a standalone query, log it; optionally run the search."""
        raise InvalidInput("not wired yet")

    async def thread(self, scope: TenantScope, thread_id: str) -> ThreadView:
        raise InvalidInput("not wired yet")


__all__ = ["ConversationService", "OutlineItem"]
