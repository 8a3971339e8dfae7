"""Issue 16, item 2 against a real ``imgharvest serve`` (web process + worker child): a page of
300,000 pictures sent through the crawler API stays within a job's memory budget and ends in
one run; a job whose worker is lost on every run fails after ``MAX_ATTEMPTS`` runs."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from imgharvest.service import reasons
from tests.e2e.test_serve import Serve, children
from tests.fakeweb import FakeWeb
from tests.waiting import wait_for

MB = 1024 * 1024
BUDGET = 600 * MB
DEFAULT_LINKS_PER_PAGE = 10_000


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children(current)
    return found


def status_kb(pid: int, field: str) -> int:
    """``VmRSS`` or ``VmHWM`` of a process in bytes (0 once it is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return next((int(line.split()[1]) * 1024 for line in lines if line.startswith(field)), 0)


class TreeMemory(threading.Thread):
    """Samples the summed RSS of a process tree every 50 ms; remembers each process's peak."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak = root, 0
        self.hwm: dict[int, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            pids = tree(self.root)
            self.peak = max(self.peak, sum(status_kb(p, "VmRSS:") for p in pids))
            for pid in pids:
                self.hwm[pid] = max(self.hwm.get(pid, 0), status_kb(pid, "VmHWM:"))

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=5)


def job_row(app: Serve, number: int) -> dict[str, Any]:
    """The crawl job behind a crawler-API number, read from the service's own database."""
    with sqlite3.connect(Path(app.env["IMGHARVEST_DATA_DIR"]) / "imgharvest.db") as db:
        db.row_factory = sqlite3.Row
        row = db.execute(
            "SELECT jobs.* FROM jobs JOIN compat_jobs ON compat_jobs.job_id = jobs.id "
            "WHERE compat_jobs.id = ?", (number + 1,),
        ).fetchone()  # fmt: skip
        events = db.execute(
            "SELECT message FROM job_events WHERE job_id = ? ORDER BY id", (row["id"],)
        ).fetchall()
    return {**dict(row), "events": [e["message"] for e in events]}


def submit(app: Serve, url: str) -> int:
    posted = httpx.post(f"{app.url}/", files={"inputs": ("urls.txt", url)}, timeout=30)
    assert posted.status_code == 200, posted.text
    return int(posted.json()["result"].split(":")[1])


@pytest.fixture
def serve(tmp_path: Path, fakeweb: FakeWeb) -> Iterator[Callable[..., Serve]]:
    made: list[Serve] = []

    def factory(**env: str) -> Serve:
        made.append(Serve(tmp_path, {"IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.0/8", **env}))
        return made[-1]

    yield factory
    for app in made:
        app.stop()


@pytest.mark.slow
def test_a_page_of_300000_pictures_through_the_crawler_api_stays_within_budget(
    serve: Callable[..., Serve], fakeweb: FakeWeb
) -> None:
    app = serve()  # default settings (4 worker threads, MAX_LINKS_PER_PAGE 10,000)
    app.start()
    assert app.proc is not None
    wait_for(lambda: children(app.proc.pid) if app.proc else None, timeout=30)
    time.sleep(2)  # the worker child's start-up is over
    before = {pid: status_kb(pid, "VmRSS:") for pid in tree(app.proc.pid)}
    memory = TreeMemory(app.proc.pid)
    memory.start()
    started = time.monotonic()
    number = submit(app, f"{fakeweb.url}/huge/images-300000.html")
    try:
        row = wait_for(lambda: (r := job_row(app, number))["status"] not in ("scheduled",
                       "running") and r, timeout=180, step=0.5)  # fmt: skip
    finally:
        memory.stop()
    took = time.monotonic() - started
    assert row["status"] == "done", row
    assert row["attempts"] == 1 and not any("lost worker" in e for e in row["events"])
    growth = memory.peak - sum(before.values())
    assert growth < BUDGET, f"tree grew {growth / MB:.0f} MB"
    for pid, start in before.items():  # each process's own peak, spikes between samples too
        assert memory.hwm.get(pid, 0) - start < BUDGET, (pid, memory.hwm, before)
    result = httpx.get(f"{app.url}/result/{number}", timeout=60).json()["result"]
    assert result["count"] == DEFAULT_LINKS_PER_PAGE  # the first of the page's pictures
    assert any("read in part only" in e and "MAX_LINKS_PER_PAGE" in e for e in row["events"])
    print(f"300,000 pictures: {took:.0f} s, tree +{growth / MB:.0f} MB")


@pytest.fixture
def stalling_web() -> Iterator[FakeWeb]:
    """A fake web that answers every request after 20 s: a job reading it stays running."""
    with FakeWeb(latency=20) as fw:
        yield fw


@pytest.mark.slow
def test_a_job_whose_worker_dies_every_time_fails_after_max_attempts(
    serve: Callable[..., Serve], stalling_web: FakeWeb
) -> None:
    app = serve(IMGHARVEST_MAX_ATTEMPTS="2", IMGHARVEST_WORKERS="1")
    app.start()
    assert app.proc is not None
    number = submit(app, f"{stalling_web.url}/site/fixtures/deep/dir/redirected.html")
    for attempt in (1, 2):
        wait_for(lambda a=attempt: (r := job_row(app, number))["status"] == "running"
                 and r["attempts"] == a, timeout=60, step=0.2)  # fmt: skip
        (worker,) = children(app.proc.pid)
        os.kill(worker, signal.SIGKILL)  # the worker dies with the job, as by the OOM killer
        wait_for(lambda w=worker: [p for p in children(app.proc.pid) if p != w] if app.proc
                 else None, timeout=30)  # fmt: skip
    row = wait_for(lambda: (r := job_row(app, number))["status"] == "failed" and r, timeout=60)
    assert row["attempts"] == 2  # no third run
    assert row["error"] == reasons.workers_lost(2)
    assert row["events"][-1] == f"job failed: {reasons.workers_lost(2)}"
    assert app.proc.poll() is None  # serve itself is fine
