"""The event loop a harvest runs on: uvloop where installed, else asyncio's own; a loop of
its own on a worker thread when the calling thread already runs one (a notebook)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
Started = tuple[asyncio.AbstractEventLoop, "asyncio.Task[Any]"]


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory (cheaper per request at high concurrency), or None for asyncio's."""
    try:
        import uvloop
    except ImportError:  # optional speed-up: the stdlib loop is correct, only slower
        return None
    return uvloop.new_event_loop


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a fresh loop (like ``asyncio.run``); when this thread
    already runs a loop, on a worker thread, this one waiting for it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(coro)
    return _on_a_thread(coro)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(coro)


def _on_a_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a worker thread's loop; Ctrl-C here cancels it there, and waits for it
    to end (so what it keeps on a stop is kept) before going on."""
    started: concurrent.futures.Future[Started] = concurrent.futures.Future()
    done: concurrent.futures.Future[T] = concurrent.futures.Future()

    async def main() -> T:
        task = asyncio.current_task()
        assert task is not None
        started.set_result((asyncio.get_running_loop(), task))
        return await coro

    def target() -> None:
        try:
            done.set_result(_run(main()))
        except BaseException as exc:  # handed to the waiting thread, which raises it
            done.set_exception(exc)

    threading.Thread(target=target, name="imgharvest-loop", daemon=True).start()
    try:
        return done.result()
    except KeyboardInterrupt:
        loop, task = started.result()
        loop.call_soon_threadsafe(task.cancel)
        with contextlib.suppress(BaseException):
            done.result()
        raise
