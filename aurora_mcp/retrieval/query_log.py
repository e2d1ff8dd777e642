"""Writes `queries_log` rows off the response path, in batches, and drains what is pending on shutdown."""

from __future__ import annotations

import logging
from types import TracebackType

import anyio
import asyncpg
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from aurora_mcp.db.records import QueryLogEntry
from aurora_mcp.db.repositories.query_log import QueryLogRepository

logger = logging.getLogger(__name__)

_BATCH = 64
_BUFFER = 10_000


class QueryLogWriter:
    """A background task fed by a bounded channel; `flush()` waits until every row submitted so far is written.

    A search must not wait for its log row, but a clean shutdown must not lose rows: leaving the context closes the
    channel, and the task writes what is left before it ends.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._repo = QueryLogRepository()
        self._send: MemoryObjectSendStream[QueryLogEntry | anyio.Event]
        self._receive: MemoryObjectReceiveStream[QueryLogEntry | anyio.Event]
        self._send, self._receive = anyio.create_memory_object_stream(_BUFFER)
        self._task_group: TaskGroup | None = None

    async def __aenter__(self) -> QueryLogWriter:
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        self._task_group.start_soon(self._run)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._send.aclose()
        if self._task_group is not None:
            # Closing the channel ends `_run` after it has written what is pending; exiting waits for that.
            await self._task_group.__aexit__(exc_type, exc, tb)

    def submit(self, entry: QueryLogEntry) -> None:
        """Queue a row without waiting; if the buffer is full (database down for long), drop it and say so."""
        try:
            self._send.send_nowait(entry)
        except anyio.WouldBlock:
            logger.warning("query log buffer full: dropped the row of query %s", entry.id)

    async def flush(self) -> None:
        """Wait until every row submitted before this call is in the database (tests, backups)."""
        done = anyio.Event()
        await self._send.send(done)
        await done.wait()

    async def _run(self) -> None:
        pending: list[QueryLogEntry] = []
        async with self._receive:
            async for item in self._receive:
                if isinstance(item, anyio.Event):
                    await self._write(pending)
                    pending = []
                    item.set()
                    continue
                pending.append(item)
                # Drain whatever is already queued so a burst becomes one executemany.
                while len(pending) < _BATCH:
                    try:
                        nxt = self._receive.receive_nowait()
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        break
                    if isinstance(nxt, anyio.Event):
                        await self._write(pending)
                        pending = []
                        nxt.set()
                        break
                    pending.append(nxt)
                await self._write(pending)
                pending = []
        await self._write(pending)

    async def _write(self, entries: list[QueryLogEntry]) -> None:
        if not entries:
            return
        try:
            await self._repo.insert_many(self._pool, entries)
        except Exception:
            # Logging a search must never break the server; the rows are lost, which the log line records.
            logger.exception("could not write %d query log row(s)", len(entries))
