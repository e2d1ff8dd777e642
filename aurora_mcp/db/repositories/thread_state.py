"""Thread state: what a conversation last looked at, so follow-ups ("S2", "the last point") can be resolved."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from aurora_mcp.db.pool import Executor
from aurora_mcp.db.records import ThreadState

Id = uuid.UUID | str


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = _Unset.UNSET

_COLUMNS = "tenant_id, caller_app, thread_id, last_outline, last_doc_ids, last_titles, last_answer_query_id, updated_at"
_GET = f"SELECT {_COLUMNS} FROM thread_state WHERE tenant_id = $1 AND caller_app = $2 AND thread_id = $3"
# $8..$11 say which fields the caller gave: the others keep their stored value (None given means "clear it").
_UPSERT = f"""
INSERT INTO thread_state AS t (tenant_id, caller_app, thread_id, last_outline, last_doc_ids, last_titles,
                               last_answer_query_id, updated_at)
VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7::uuid, now())
ON CONFLICT (tenant_id, caller_app, thread_id) DO UPDATE SET
    last_outline = CASE WHEN $8::boolean THEN EXCLUDED.last_outline ELSE t.last_outline END,
    last_doc_ids = CASE WHEN $9::boolean THEN EXCLUDED.last_doc_ids ELSE t.last_doc_ids END,
    last_titles = CASE WHEN $10::boolean THEN EXCLUDED.last_titles ELSE t.last_titles END,
    last_answer_query_id = CASE WHEN $11::boolean THEN EXCLUDED.last_answer_query_id ELSE t.last_answer_query_id END,
    updated_at = now()
RETURNING {_COLUMNS}
"""
_DELETE = "DELETE FROM thread_state WHERE tenant_id = $1 AND caller_app = $2 AND thread_id = $3 RETURNING thread_id"


def _given(value: object) -> tuple[Any, bool]:
    return (None, False) if value is UNSET else (value, True)


class ThreadStateRepository:
    """Rows of `thread_state`, keyed (tenant_id, caller_app, thread_id). Invariants: a thread is only visible to the
    tenant and caller app that wrote it; it stores outline ids and titles, doc ids and titles, never document text."""

    async def get(self, conn: Executor, tenant_id: Id, caller_app: str, thread_id: str) -> ThreadState | None:
        """The thread's state, or None for a thread never seen (a normal case, not an error)."""
        row = await conn.fetchrow(_GET, tenant_id, caller_app, thread_id)
        return ThreadState.model_validate(dict(row)) if row is not None else None

    async def upsert(
        self,
        conn: Executor,
        tenant_id: Id,
        caller_app: str,
        thread_id: str,
        *,
        last_outline: Mapping[str, Any] | _Unset | None = UNSET,
        last_doc_ids: Sequence[Id] | _Unset | None = UNSET,
        last_titles: Sequence[str] | _Unset | None = UNSET,
        last_answer_query_id: Id | _Unset | None = UNSET,
    ) -> ThreadState:
        """Create the thread or update it, overwriting only the fields passed (pass None to clear one)."""
        outline, outline_given = _given(last_outline)
        doc_ids, doc_ids_given = _given(last_doc_ids)
        titles, titles_given = _given(last_titles)
        query_id, query_id_given = _given(last_answer_query_id)
        row = await conn.fetchrow(
            _UPSERT,
            tenant_id,
            caller_app,
            thread_id,
            dict(outline) if outline is not None else None,
            [str(d) for d in doc_ids] if doc_ids is not None else None,
            list(titles) if titles is not None else None,
            query_id,
            outline_given,
            doc_ids_given,
            titles_given,
            query_id_given,
        )
        return ThreadState.model_validate(dict(row))

    async def delete(self, conn: Executor, tenant_id: Id, caller_app: str, thread_id: str) -> bool:
        """Forget a thread; False when there was nothing to forget."""
        return await conn.fetchval(_DELETE, tenant_id, caller_app, thread_id) is not None
