"""Riding out a store outage: an upload retried with backoff for ``STORE_RETRY_SECONDS``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from imgharvest.errors import StoreUnavailable
from imgharvest.store.storage import Store

FIRST_WAIT, MAX_WAIT = 1.0, 15.0


def put_retrying(
    store: Store,
    key: str,
    source: Path,
    window: float,
    *,
    on_first_failure: Callable[[StoreUnavailable], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """``store.put`` tried again while the store is unavailable, for up to ``window`` seconds;
    the seconds it took beyond the first try. ``on_first_failure`` hears of the outage once;
    the last ``StoreUnavailable`` goes on when the window is spent (the file is kept)."""
    start, wait = clock(), FIRST_WAIT
    while True:
        try:
            store.put(key, source)
            return clock() - start
        except StoreUnavailable as exc:
            if clock() - start + wait > window:
                raise
            if wait == FIRST_WAIT and on_first_failure is not None:
                on_first_failure(exc)
            sleep(wait)
            wait = min(MAX_WAIT, wait * 2)
