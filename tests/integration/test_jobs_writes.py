"""A run's writes hold SQLite's write lock only while the database works: single statements
commit by themselves, a finished run's image rows go in as one statement, and the fences hold."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event

from imgharvest.clock import ManualClock
from imgharvest.service.lifecycle import Claim, Outcome
from imgharvest.service.schemas import SearchRequest
from imgharvest.service.services import Services, build_services

DML = ("INSERT", "UPDATE", "DELETE")


@dataclass
class Writes:
    """Write statements seen on the engine: each with whether a transaction stayed open after
    it, and the number of write statements in each committed transaction."""

    left_open: list[tuple[str, bool]] = field(default_factory=list)
    per_transaction: list[int] = field(default_factory=list)
    current: int = 0


@pytest.fixture
def svc(make_settings: Any) -> Iterator[Services]:
    services = build_services(make_settings(), clock=ManualClock(), stale_after=10)
    yield services
    services.close()


@pytest.fixture
def writes(svc: Services) -> Writes:
    seen = Writes()

    def after(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        verb = statement.lstrip()[:6].upper()
        if verb in DML:
            open_ = bool(cursor.connection.in_transaction)
            seen.left_open.append((statement, open_))
            seen.current += open_  # a statement committed by itself is no transaction's

    def commit(_conn: Any) -> None:
        if seen.current:
            seen.per_transaction.append(seen.current)
        seen.current = 0

    event.listen(svc.engine, "after_cursor_execute", after)
    event.listen(svc.engine, "commit", commit)
    return seen


def claimed(svc: Services) -> Claim:
    req = SearchRequest(query="red fox", run_at=svc.clock.now(), email=None, count=50)
    claim = svc.jobs.claim(svc.jobs.create_search(req).id)
    assert claim is not None
    return claim


def images(count: int) -> list[dict[str, Any]]:
    return [
        {"file": f"images/{i:04}.jpg", "url": f"http://x/{i}.jpg", "width": 3} for i in range(count)
    ]


def test_a_runs_single_writes_commit_inside_the_statement(svc: Services, writes: Writes) -> None:
    claim = claimed(svc)
    writes.left_open.clear()
    assert svc.jobs.heartbeat(claim)
    svc.jobs.progress(claim, 10, 5, {"small": 5})
    assert svc.jobs.run_event(claim, "info", "page 1 read", "w:1")
    svc.jobs.event(claim.job_id, "info", "started email sent")
    assert len(writes.left_open) == 4
    # No transaction is left open for Python to commit later: the lock went with the statement.
    assert [open_ for _, open_ in writes.left_open] == [False] * 4


def test_finishing_a_run_writes_its_images_in_one_statement(svc: Services, writes: Writes) -> None:
    claim = claimed(svc)
    writes.per_transaction.clear()
    outcome = Outcome("done", "50/50 kept", 50, 50, {}, None, images(50))
    assert svc.jobs.finish(claim, outcome)
    # The image rows and the fenced status change, not one INSERT per row.
    assert writes.per_transaction[0] == 2
    rows = svc.jobs.images(claim.job_id)
    assert rows is not None and len(rows) == 50
    assert [r["file"] for r in rows] == [f"images/{i:04}.jpg" for i in range(50)]
    assert rows[0]["height"] == 0 and rows[0]["title"] == ""  # absent fields: column defaults


def test_a_run_that_lost_its_job_stores_no_image_and_no_link(svc: Services) -> None:
    claim = claimed(svc)
    svc.jobs.cancel(claim.job_id)
    assert not svc.jobs.finish(claim, Outcome("done", "3/3 kept", 3, 3, {}, None, images(3)))
    assert not svc.jobs.add_links(claim, images(3), 0)
    assert svc.jobs.images(claim.job_id) == []
    assert svc.jobs.get(claim.job_id).status == "cancelled"  # type: ignore[union-attr]


def test_links_found_while_running_are_stored_in_order(svc: Services) -> None:
    claim = claimed(svc)
    assert svc.jobs.add_links(claim, images(3), 0)
    assert svc.jobs.add_links(claim, images(5)[3:], 3)
    rows = svc.jobs.images(claim.job_id)
    assert rows is not None
    assert [r["url"] for r in rows] == [f"http://x/{i}.jpg" for i in range(5)]


def test_a_new_attempt_starts_from_zero(svc: Services) -> None:
    claim = claimed(svc)
    svc.jobs.progress(claim, 10, 4, {"small": 6})
    assert svc.jobs.add_links(claim, images(4), 0)
    svc.clock.advance(60)  # type: ignore[attr-defined]
    again = svc.jobs.claim(claim.job_id)
    assert again is not None and again.attempt == claim.attempt + 1
    view = svc.jobs.get(again.job_id)
    assert view is not None and (view.tried, view.kept, view.rejected) == (0, 0, {})
    assert view.images == []
