"""Issue 18: scratch never outlives its run: a worker's sweep removes what dead or ended runs
left in DATA_DIR (run folders, outbox files of expired jobs) and nothing a live run holds."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from imgharvest.clock import ManualClock
from imgharvest.service.recovery import Upkeep
from imgharvest.service.services import Services, build_services
from imgharvest.store.models import Job
from tests.integration.test_jobs import search


@pytest.fixture
def svc(make_settings: Any) -> Iterator[Services]:
    services = build_services(make_settings(), clock=ManualClock(), stale_after=10)
    yield services
    services.close()


@pytest.fixture
def clock(svc: Services) -> ManualClock:
    assert isinstance(svc.clock, ManualClock)
    return svc.clock


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def running(svc: Services, clock: ManualClock, worker: str, attempts: int = 1) -> str:
    job = svc.jobs.create_search(search(clock))
    claim = svc.jobs.claim(job.id, worker)
    assert claim is not None
    if attempts != claim.attempt:
        svc.jobs.writes.one(update(Job).where(Job.id == job.id).values(attempts=attempts))
    return job.id


def scratch(svc: Services, job_id: str, run: str) -> Path:
    folder = svc.settings.data_dir / "jobs" / job_id / run / "files"
    folder.mkdir(parents=True)
    (folder / "000001").write_bytes(b"\xff\xd8 a kept image")
    return folder.parent


def test_the_sweep_keeps_live_runs_and_removes_dead_ones(svc: Services, clock: ManualClock) -> None:
    here = socket.gethostname()
    mine = running(svc, clock, f"{here}:{os.getpid()}", attempts=2)
    old_attempt, live = scratch(svc, mine, "attempt-1"), scratch(svc, mine, "attempt-2")
    killed = running(svc, clock, f"{here}:{dead_pid()}")
    dead_run = scratch(svc, killed, "attempt-1")
    elsewhere = running(svc, clock, "other-host:4242")
    remote = scratch(svc, elsewhere, "attempt-1")
    ended = svc.jobs.create_search(search(clock)).id  # never ran here: only a leftover
    leftover = scratch(svc, ended, "attempt-3")
    unknown = scratch(svc, "no-such-job-0001", "attempt-1")

    gone = Upkeep(svc, None, "worker").scratch.sweep()
    assert set(gone) == {old_attempt, dead_run, leftover, unknown}
    assert live.is_dir() and remote.is_dir()  # a live run here, a fresh beat elsewhere
    assert not dead_run.parent.exists() and not unknown.parent.exists()
    clock.advance(11)  # the other host's run went silent
    assert Upkeep(svc, None, "worker").scratch.sweep() == [remote]
    assert live.is_dir()


def test_a_worker_sweeps_at_start_and_the_web_tier_never(svc: Services, clock: ManualClock) -> None:
    here = socket.gethostname()
    killed = running(svc, clock, f"{here}:{dead_pid()}")
    dead_run = scratch(svc, killed, "attempt-1")
    web = Upkeep(svc, None, "web")
    web.start()
    web.stop()
    assert dead_run.is_dir()
    worker = Upkeep(svc, None, "worker", interval=3600)
    worker.start()
    worker.stop()
    assert not dead_run.exists()


def test_outbox_files_of_expired_jobs_go_and_the_rest_stay(
    svc: Services, clock: ManualClock
) -> None:
    outbox = svc.settings.data_dir / "outbox"
    outbox.mkdir(parents=True)
    active = svc.jobs.create_search(search(clock)).id
    expired = svc.jobs.create_search(search(clock)).id
    svc.jobs.writes.one(update(Job).where(Job.id == expired).values(status="expired"))
    stamp = "20261201T000000000000"
    names = [f"{active}-{stamp}-a1.eml", f"{expired}-{stamp}-b2.eml",
             f"purged-job-id-xx-{stamp}-c3.eml", f"nojob-{stamp}-d4.eml"]  # fmt: skip
    for name in names:
        (outbox / name).write_text("mail")
    gone = Upkeep(svc, None, "worker").scratch.sweep()
    assert sorted(p.name for p in gone) == sorted(names[1:3])
    assert sorted(p.name for p in outbox.iterdir()) == sorted([names[0], names[3]])
