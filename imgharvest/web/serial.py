"""Submissions' database work, one at a time, in a worker thread (never in the event loop).

Fifty submissions at once in the default thread pool meant fifty threads taking turns at the
GIL and at SQLite's write lock, each waiting behind the others' hand-offs: their answers came
out of order and the slowest waited seconds. One at a time, each waits only its turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Request

T = TypeVar("T")


async def one_at_a_time(request: Request, work: Callable[..., T], *args: object) -> T:
    """``work(*args)`` in a worker thread, after the app's previous call of this ended."""
    return await anyio.to_thread.run_sync(work, *args, limiter=_limiter(request))


def _limiter(request: Request) -> CapacityLimiter:
    # One per app and event loop: a test may run the same app on several loops in turn.
    state, loop = request.app.state, asyncio.get_running_loop()
    held: tuple[asyncio.AbstractEventLoop, CapacityLimiter] | None
    held = getattr(state, "submit_serial", None)
    if held is None or held[0] is not loop:
        held = state.submit_serial = (loop, CapacityLimiter(1))
    return held[1]
