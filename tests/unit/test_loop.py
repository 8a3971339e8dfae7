"""``run_async`` where the calling thread already runs an event loop (a notebook): the
coroutine runs on a worker thread's loop, and Ctrl-C in the caller cancels it there and waits
for its clean-up before going on."""

from __future__ import annotations

import asyncio
import signal
import threading
import time

import pytest

from imgharvest.pipeline.loop import run_async


def in_a_running_loop(body: object) -> object:
    """Run ``body()`` (a plain function) from inside a coroutine on this thread's loop, as a
    notebook cell runs (no signal handler of asyncio's own)."""

    async def cell() -> object:
        asyncio.get_running_loop()
        return body()  # type: ignore[operator]

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(cell())
    finally:
        loop.close()


def test_without_a_running_loop_it_runs_here() -> None:
    async def where() -> str:
        return threading.current_thread().name

    assert run_async(where()) == threading.current_thread().name


def test_inside_a_running_loop_it_runs_on_a_worker_thread() -> None:
    async def where() -> str:
        await asyncio.sleep(0.01)
        return threading.current_thread().name

    assert in_a_running_loop(lambda: run_async(where())) == "imgharvest-loop"


def test_errors_come_back_to_the_caller() -> None:
    async def fails() -> None:
        raise LookupError("from the worker's loop")

    with pytest.raises(LookupError, match="worker's loop"):
        in_a_running_loop(lambda: run_async(fails()))


def test_ctrl_c_cancels_the_run_and_waits_for_its_clean_up() -> None:
    cleaned: list[str] = []

    async def long_run() -> None:
        try:
            await asyncio.sleep(30)
        finally:
            await asyncio.sleep(0.1)  # a stop writes what was kept before it ends
            cleaned.append("done")

    main = threading.main_thread().ident
    assert main == threading.get_ident(), "signals reach the main thread only"
    timer = threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        in_a_running_loop(lambda: run_async(long_run()))
    assert cleaned == ["done"] and time.monotonic() - started < 5
