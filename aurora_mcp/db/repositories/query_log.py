"""Query log: one row per search, with the follow-up and retrieval-retry observability of migration 43."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from aurora_mcp.db.pool import Executor
from aurora_mcp.db.records import QueryLogEntry
from aurora_mcp.errors import NotFound

Id = uuid.UUID | str

_FIELDS = (
    "id", "tenant_id", "user_email", "question", "mmr_lambda", "k", "fetch_k", "filters", "latency_ms", "model",
    "citations", "thread_id", "caller_app", "retrieval_query_final", "retrieval_queries_tried",
    "retrieval_retry_count", "condense_used", "condense_model", "followup_resolved", "followup_section_id",
    "followup_section_title", "followup_ref_type",
)  # fmt: skip
_COLUMNS = ", ".join((*_FIELDS, "created_at"))
_PLACEHOLDERS = ", ".join(f"${n}" for n in range(1, len(_FIELDS) + 1))
# created_at comes last: the caller's timestamp when it has one, else the insert time.
_INSERT = f"""
INSERT INTO queries_log ({_COLUMNS})
VALUES ({_PLACEHOLDERS}, COALESCE(${len(_FIELDS) + 1}::timestamptz, now()))
"""
_RECENT = f"""
SELECT {_COLUMNS} FROM queries_log
WHERE tenant_id = $1 AND ($2::text IS NULL OR thread_id = $2)
ORDER BY created_at DESC, id
LIMIT $3
"""
_GET = f"SELECT {_COLUMNS} FROM queries_log WHERE tenant_id = $1 AND id = $2"


def _entry(row: Any) -> QueryLogEntry:
    return QueryLogEntry.model_validate(dict(row))


class QueryLogRepository:
    """Rows of `queries_log`. Invariants: append-only; ids are chosen by the caller (so an answer can cite its query
    before the row is written); reads are filtered by tenant_id."""

    async def insert_many(self, conn: Executor, entries: Sequence[QueryLogEntry]) -> None:
        """Write a batch of entries in one round trip (executemany; atomic as a whole)."""
        if not entries:
            return
        rows = [(*(getattr(e, f) for f in _FIELDS), e.created_at) for e in entries]
        await conn.executemany(_INSERT, rows)

    async def list_recent(
        self, conn: Executor, tenant_id: Id, limit: int = 50, thread_id: str | None = None
    ) -> list[QueryLogEntry]:
        """The tenant's latest entries, newest first, optionally of one thread."""
        return [_entry(r) for r in await conn.fetch(_RECENT, tenant_id, thread_id, limit)]

    async def get(self, conn: Executor, tenant_id: Id, query_id: Id) -> QueryLogEntry:
        """Raises: NotFound naming the id (also when it belongs to another tenant)."""
        row = await conn.fetchrow(_GET, tenant_id, query_id)
        if row is None:
            raise NotFound(f"query {query_id} not found")
        return _entry(row)
