"""Which database errors are waited out and which end the work at once."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest
from sqlalchemy.exc import OperationalError

from imgharvest.store import retry as dbretry


def _failing(message: str, calls: list[int], succeed_on: int = 0) -> Callable[[], str]:
    @dbretry.retrying
    def write() -> str:
        calls.append(1)
        if succeed_on and len(calls) >= succeed_on:
            return "written"
        raise OperationalError("INSERT INTO jobs", {}, sqlite3.OperationalError(message))

    return write


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(dbretry.time, "sleep", waits.append)
    return waits


def test_a_lost_connection_is_retried_until_it_is_back(no_sleep: list[float]) -> None:
    calls: list[int] = []
    assert _failing("server closed the connection unexpectedly", calls, succeed_on=3)() == "written"
    assert len(calls) == 3 and no_sleep == [0.2, 0.4]


@pytest.mark.parametrize(
    "message", ["database or disk is full", "database disk image is malformed"]
)
def test_a_full_disk_or_a_damaged_file_is_not_waited_out(
    message: str, no_sleep: list[float]
) -> None:
    calls: list[int] = []
    with pytest.raises(OperationalError, match=message):
        _failing(message, calls, succeed_on=3)()
    assert len(calls) == 1 and no_sleep == []
