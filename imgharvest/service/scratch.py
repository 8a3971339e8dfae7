"""Scratch never outlives its run: what dead runs left under ``DATA_DIR/jobs`` (and the outbox
files of jobs gone) is removed when a worker starts and in its upkeep.

A run's folder is ``jobs/<job id>/<run>`` (``attempt-N``, or ``shard-K.N`` for a part); it
stays only while the database says that run is the job's (or part's) live one: running,
with its attempt number, on a process that is alive (on this machine: its pid exists;
elsewhere: its heartbeat is fresh).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from imgharvest.clock import Clock
from imgharvest.service.expiry import outbox_files
from imgharvest.service.fetchjob import part_folder
from imgharvest.settings import Settings
from imgharvest.store.models import Job, JobPart

log = logging.getLogger("imgharvest.scratch")

RUNNING, EXPIRED = "running", "expired"
NO_JOB = "nojob"  # the outbox's name for a message of no job (kept)


def attempt_folder(attempt: int) -> str:
    """The folder name of a job's run ``attempt``."""
    return f"attempt-{attempt}"


@dataclass(frozen=True, slots=True)
class Holder:
    """Who runs a folder's run: the process (``host:pid``) and when it last said so."""

    worker: str | None
    heartbeat: datetime | None


class Scratch:
    """Sweeps one machine's ``DATA_DIR``: every process does, none under a lease."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, clock: Clock, stale: float
    ) -> None:
        self.sessions, self.settings, self.clock = sessions, settings, clock
        self.stale = timedelta(seconds=stale)
        self.root = settings.data_dir / "jobs"

    def sweep(self) -> list[Path]:
        """Remove every run folder no live run holds, then empty job folders; what went."""
        jobs = sorted(p for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else []
        live = self.live({p.name for p in jobs})
        gone = [run for job in jobs for run in _runs(job) if (job.name, run.name) not in live]
        for run in gone:
            shutil.rmtree(run, ignore_errors=True)
        for job in jobs:
            remove_if_empty(job)
        gone += self._mail_files()
        if gone:
            log.info("removed %d scratch folder(s)/file(s) of dead or ended runs", len(gone))
        return gone

    def live(self, job_ids: set[str]) -> set[tuple[str, str]]:
        """``(job id, run folder)`` of the runs that are alive now (jobs' and parts')."""
        if not job_ids:
            return set()
        jobs = select(Job.id, Job.attempts, Job.worker, Job.heartbeat_at).where(
            Job.id.in_(job_ids), Job.status == RUNNING
        )
        parts = select(JobPart.job_id, JobPart.kind, JobPart.number, JobPart.attempts,
                       JobPart.worker, JobPart.heartbeat_at).where(
            JobPart.job_id.in_(job_ids), JobPart.status == RUNNING
        )  # fmt: skip
        with self.sessions() as session:
            runs = [(r.id, attempt_folder(r.attempts), Holder(r.worker, r.heartbeat_at))
                    for r in session.execute(jobs)]  # fmt: skip
            runs += [(r.job_id, part_folder(r.kind, r.number, r.attempts),
                      Holder(r.worker, r.heartbeat_at))
                     for r in session.execute(parts)]  # fmt: skip
        return {(job, run) for job, run, holder in runs if self.alive(holder)}

    def alive(self, holder: Holder) -> bool:
        """Whether the holding process still lives (its own pid here; a fresh beat elsewhere)."""
        host, _, pid = (holder.worker or "").rpartition(":")
        if host == socket.gethostname() and pid.isdigit():
            return _pid_alive(int(pid))
        beat = holder.heartbeat
        return beat is not None and beat > self.clock.now() - self.stale

    def _mail_files(self) -> list[Path]:
        """``.eml`` files of jobs that expired or are gone (the housekeeper removes only its
        own machine's at expiry)."""
        folder = self.settings.data_dir / "outbox"
        if not folder.is_dir():
            return []
        # ``<job id>-<stamp>-<message id>.eml``: a job id may hold "-", the other two do not
        owners = {p.name.rsplit("-", 2)[0] for p in folder.glob("*-*-*.eml")} - {NO_JOB}
        if not owners:
            return []
        with self.sessions() as session:
            kept = set(session.scalars(
                select(Job.id).where(Job.id.in_(owners), Job.status != EXPIRED)
            ))  # fmt: skip
        gone = [p for job in owners - kept for p in outbox_files(folder, job)]
        for path in gone:
            path.unlink(missing_ok=True)
        return gone


def _runs(job: Path) -> Iterable[Path]:
    return [p for p in job.iterdir() if p.is_dir()] if job.is_dir() else []


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # somebody else's process: alive
    return True


def remove_if_empty(folder: Path) -> None:
    """Remove ``folder`` if it is empty (other runs' folders may still be there)."""
    with contextlib.suppress(OSError):  # not empty, or gone already
        folder.rmdir()
