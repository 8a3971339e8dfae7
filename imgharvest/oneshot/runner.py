"""Running one harvest into a checked output: the run itself, what it writes when it ends
(nothing when nothing was kept), and when it stops early (Ctrl-C, a timeout, a failure)
what was kept so far, with a matching manifest; the ``Outcome`` says how it went."""

from __future__ import annotations

import asyncio
import functools
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from imgharvest.dataset.info import manifest_info
from imgharvest.errors import JobError, OutputError
from imgharvest.events import EventList
from imgharvest.licences import UNKNOWN
from imgharvest.oneshot.output import Output, output_errors, write
from imgharvest.pipeline.loop import run_async
from imgharvest.pipeline.package import InfoMaker
from imgharvest.pipeline.records import Seed
from imgharvest.pipeline.result import HarvestResult, Progress
from imgharvest.store.faults import is_disk_full

# How a run ended; ``done`` and ``short`` are whole runs, the others stopped it early.
DONE, SHORT, INTERRUPTED, TIMEOUT, FAILED = "done", "short", "interrupted", "timeout", "failed"


@dataclass(frozen=True)
class RunArgs:
    """What a runner passes to the pipeline: where to work, how many, what to skip."""

    workdir: Path
    events: EventList
    progress: Callable[[Progress], None]
    count: int
    seed: Seed
    on_stop: Callable[[HarvestResult], None]


Runner = Callable[[RunArgs], Awaitable[HarvestResult]]


@dataclass(frozen=True)
class Job:
    """One harvest into one output: the slug of its file names, how many in all, the command
    that asked for it (``dataset.json`` keeps it)."""

    output: Output
    slug: str
    wanted: int
    command: str
    timeout: float | None = None  # seconds; then what was kept is written

    def info(self) -> InfoMaker:
        """What makes this output's ``dataset.json`` from its manifest rows."""
        fmt = "zip" if self.output.is_zip else "dir"
        return functools.partial(manifest_info, command=self.command, wanted=self.wanted, fmt=fmt)

    @property
    def earlier(self) -> int:
        """Images a resumed folder already holds."""
        return len(self.output.prior)


@dataclass
class Outcome:
    """How a run ended: its status, what it kept (all, or so far), what it wrote, and the
    error that stopped it (``KeyboardInterrupt``, a ``JobError``...)."""

    job: Job
    status: str
    result: HarvestResult | None  # None: the output already held every image asked for
    seconds: float
    written: Path | None = None  # None: nothing was written
    error: BaseException | None = None
    unwritten: bool = False  # what was kept could not be written (the disk is full)

    def licence_names(self) -> list[str]:
        """The licence of every image the output holds (a resumed folder's earlier ones too)."""
        kept = self.result.records if self.result is not None and self.written else []
        earlier = [row.get("licence") or UNKNOWN for row in self.job.output.prior]
        return earlier + [r.licence for r in kept]

    @property
    def delivered(self) -> int:
        """Images the output holds now."""
        kept = len(self.result.records) if self.result is not None and self.written else 0
        return self.job.earlier + kept

    @property
    def disk_full(self) -> bool:
        """Whether a full disk stopped the run (its error's message says all, in one line)."""
        return self.error is not None and is_disk_full(self.error)

    def why(self) -> str:
        """Why the run stopped early, in words."""
        if self.status == INTERRUPTED:
            return "interrupted"
        if self.status == TIMEOUT:
            return f"timed out after {self.job.timeout:g} s"
        if self.disk_full:
            return f"disk full: no space left on the disk holding {self.job.output.workroot()}"
        return "stopped by an error"

    def stop_line(self) -> str:
        """One line: why the run stopped, and what was written (or could not be)."""
        dest = self.job.output.dest
        if self.unwritten:
            return f"{self.why()}; what was kept could not be written to {dest}"
        if self.written is None:
            return f"{self.why()}: no image kept, nothing written"
        again = "" if self.job.output.is_zip else "; run again with --resume to complete it"
        return (f"{self.why()}: {self.delivered} of {self.job.wanted} images written to {dest} "
                f"with a matching manifest{again}")  # fmt: skip


def run_to(job: Job, run: Runner, progress: Callable[[Progress], None]) -> Outcome:
    """Run the harvest into ``job.output``; an error that stops it is in the outcome, after
    what was kept so far has been written."""
    started = time.monotonic()
    if job.wanted <= job.earlier:
        return Outcome(job, DONE, None, 0.0)
    stopped: list[HarvestResult] = []
    with output_errors(job.output.dest):
        work = tempfile.TemporaryDirectory(prefix=".imgharvest-", dir=job.output.workroot())
    with work:
        args = RunArgs(Path(work.name), EventList(), progress, job.wanted - job.earlier,
                       job.output.seed(), stopped.append)  # fmt: skip
        try:
            result = run_async(_awaited(run(args), job.timeout))
        except BaseException as exc:
            return _stopped(job, stopped, exc, started)
        written = _write(job, result)
    return Outcome(job, SHORT if result.short else DONE, result, _since(started), written)


async def _awaited(pending: Awaitable[HarvestResult], timeout: float | None) -> HarvestResult:
    async with asyncio.timeout(timeout):
        return await pending


def _stopped(job: Job, stopped: list[HarvestResult], exc: BaseException, started: float) -> Outcome:
    """Write what a stopped run kept, and say why it stopped. A full disk is a ``JobError``
    saying so in one line, whichever backend met it and whether the kept part fit or not."""
    status = FAILED
    if isinstance(exc, KeyboardInterrupt | asyncio.CancelledError):
        status = INTERRUPTED
    elif isinstance(exc, TimeoutError) and job.timeout:
        status = TIMEOUT
    outcome = Outcome(job, status, stopped[0] if stopped else None, 0.0, None, exc)
    try:
        outcome.written = _write(job, outcome.result) if outcome.result is not None else None
    except OutputError as failed:
        if not (is_disk_full(exc) and is_disk_full(failed)):
            raise
        outcome.unwritten = True
    if is_disk_full(exc):
        outcome.error = JobError(outcome.stop_line())
        outcome.error.__cause__ = exc  # still a full disk, for whoever asks
    outcome.seconds = _since(started)
    return outcome


def _write(job: Job, result: HarvestResult) -> Path | None:
    """Write what was kept; nothing at all when nothing was (no empty archive or manifest)."""
    if not result.records:
        return None
    return write(job.output, result, job.slug, job.info())


def _since(started: float) -> float:
    return time.monotonic() - started
