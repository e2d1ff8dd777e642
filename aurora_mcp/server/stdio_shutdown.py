"""A graceful SIGTERM for the stdio server: the signal ends the input stream, so shutdown runs the lifespan."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import stat
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio

logger = logging.getLogger(__name__)

_CHUNK = 65536


async def _pump(source: int, sink: int) -> None:
    """Copy the client's stdin into our pipe; closing the pipe (on cancel or at EOF) is the server's EOF."""
    try:
        while True:
            await anyio.wait_readable(source)
            try:
                chunk = os.read(source, _CHUNK)
            except BlockingIOError:
                continue
            if not chunk:
                return
            view = memoryview(chunk)
            while view:
                await anyio.wait_writable(sink)
                try:
                    view = view[os.write(sink, view) :]
                except BlockingIOError:
                    continue
    finally:
        os.close(sink)
        os.close(source)


@contextlib.asynccontextmanager
async def closable_stdin() -> AsyncIterator[Callable[[], None] | None]:
    """Put a pipe we own between the client and the SDK's stdin reader; yield a function that closes it.

    The SDK reads stdin in a worker thread that cancellation cannot interrupt, so without this a SIGTERM
    would wait for the client's next line. Only pipes and sockets (what MCP hosts use) are interposed; for
    a terminal or a file None is yielded and signals keep their default behaviour.
    """
    mode = os.fstat(0).st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        yield None
        return
    source = os.dup(0)
    read_end, write_end = os.pipe()
    os.dup2(read_end, 0)
    os.close(read_end)
    os.set_blocking(source, False)
    os.set_blocking(write_end, False)
    # The pump's own scope: cancelling the task group's would cancel the caller's body (the server) as well.
    stop = anyio.CancelScope()

    async def pump() -> None:
        with stop:
            await _pump(source, write_end)

    async with anyio.create_task_group() as tg:
        tg.start_soon(pump)
        try:
            yield stop.cancel
        finally:
            stop.cancel()


async def serve_until_eof_or_signal(serve: Callable[[], Awaitable[None]]) -> None:
    """Run `serve` (the SDK's stdio loop); SIGTERM or SIGINT ends its input, so it returns through the lifespan
    and the engines (embedded PostgreSQL above all) close in order. A second signal exits at once."""
    async with closable_stdin() as close_input:
        if close_input is None:
            await serve()
            return
        async with anyio.create_task_group() as tg:

            async def on_signal() -> None:
                with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
                    async for signum in signals:
                        logger.info("signal %s: ending the session and closing the engines", signum)
                        close_input()
                        break
                # A second signal while shutting down gets the default action (a stuck close must stay killable).
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)

            tg.start_soon(on_signal)
            await serve()
            tg.cancel_scope.cancel()
