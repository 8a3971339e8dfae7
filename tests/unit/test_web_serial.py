"""Submissions' database work runs one call at a time, in a thread other than the loop's."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace
from typing import Any

from imgharvest.web.serial import one_at_a_time


def fake_request() -> Any:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace()))


def test_calls_never_overlap_and_leave_the_event_loop_thread() -> None:
    request, lock = fake_request(), threading.Lock()
    inside, most, threads = 0, 0, set()

    def work(n: int) -> int:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        threads.add(threading.get_ident())
        time.sleep(0.002)  # long enough for an unserialised call to start meanwhile
        with lock:
            inside -= 1
        return n * 2

    async def many() -> list[int]:
        return list(await asyncio.gather(*(one_at_a_time(request, work, n) for n in range(50))))

    assert asyncio.run(many()) == [n * 2 for n in range(50)]
    assert most == 1 and threading.get_ident() not in threads


def test_each_event_loop_gets_its_own_limiter() -> None:
    request = fake_request()
    assert asyncio.run(one_at_a_time(request, lambda: 1)) == 1
    first = request.app.state.submit_serial
    assert asyncio.run(one_at_a_time(request, lambda: 2)) == 2
    assert request.app.state.submit_serial is not first
