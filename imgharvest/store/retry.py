"""Riding out short database outages: writes retried with backoff on connection errors."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from imgharvest.store import faults

log = logging.getLogger("imgharvest.db")

P = ParamSpec("P")
T = TypeVar("T")

RETRY_FOR_SECONDS = 60.0
FIRST_WAIT, MAX_WAIT = 0.2, 2.0


def is_connection_error(exc: BaseException) -> bool:
    """A lost or refused connection (worth retrying), not a bad statement, a full disk
    or a damaged file: waiting does not mend those, and the job should end at once."""
    if faults.database_fault(exc) in ("full", "damaged"):
        return False
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def retrying(fn: Callable[P, T]) -> Callable[P, T]:
    """Run ``fn`` again (it opens its own transaction) while the database is unreachable."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        wait = FIRST_WAIT
        while True:
            try:
                return fn(*args, **kwargs)
            except DBAPIError as exc:
                if not is_connection_error(exc) or time.monotonic() + wait > deadline:
                    raise
                log.warning("database unreachable in %s; retrying in %.1f s", fn.__name__, wait)
                time.sleep(wait)
                wait = min(MAX_WAIT, wait * 2)

    return wrapper
