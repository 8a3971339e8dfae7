"""Running one harvest from the CLI: into a checked output, with a progress bar, and when it
stops early (Ctrl-C, a failure) writing what was kept so far, with a matching manifest."""

from __future__ import annotations

import asyncio
import functools
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from imgharvest.cli import jsonout as cli_json
from imgharvest.cli.options import state
from imgharvest.cli.output import Output, output_errors, write
from imgharvest.cli.report import NoBar, ProgressBar, print_summary
from imgharvest.dataset.info import command_line, manifest_info
from imgharvest.errors import JobError, OutputError
from imgharvest.events import EventList
from imgharvest.licences import UNKNOWN
from imgharvest.pipeline.loop import run_async
from imgharvest.pipeline.package import InfoMaker
from imgharvest.pipeline.records import Seed
from imgharvest.pipeline.result import HarvestResult, Progress
from imgharvest.store.faults import is_disk_full

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_SHORT = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it

err = Console(stderr=True)


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
    """One CLI harvest: its output, the slug of its file names, how many in all."""

    output: Output
    slug: str
    wanted: int
    as_json: bool = False
    timeout: float | None = None  # seconds; then what was kept is written, exit 3

    def info(self) -> InfoMaker:
        """What makes this output's ``dataset.json`` from its manifest rows."""
        fmt = "zip" if self.output.is_zip else "dir"
        return functools.partial(manifest_info, command=command_line(), wanted=self.wanted, fmt=fmt)

    def licence_names(self, result: HarvestResult) -> list[str]:
        """The licence of every image the output holds (a resumed folder's earlier ones too)."""
        return [row.get("licence") or UNKNOWN for row in self.output.prior] + [
            r.licence for r in result.records
        ]


def run_to(job: Job, run: Runner) -> int:
    """Run the harvest into ``job.output``; report; return the exit code."""
    earlier = len(job.output.prior)
    if job.wanted <= earlier:
        err.print(f"{job.output.dest} already holds {earlier} images: nothing to do", markup=False)
        return EXIT_OK
    started, events = time.monotonic(), EventList()
    stopped: list[HarvestResult] = []
    with output_errors(job.output.dest):
        work = tempfile.TemporaryDirectory(prefix=".imgharvest-", dir=_workroot(job.output))
    with work, _bar(job.wanted - earlier) as bar:
        args = RunArgs(Path(work.name), events, bar.update, job.wanted - earlier,
                       job.output.seed(), stopped.append)  # fmt: skip
        try:
            result = run_async(_awaited(run(args), job.timeout))
        except BaseException as exc:
            return _stopped(job, stopped, exc, started)
        write(job.output, result, job.slug, job.info())
    _report(job, result, events, started, "short" if result.short else "done")
    return _exit_code(result)


def _stopped(job: Job, stopped: list[HarvestResult], exc: BaseException, started: float) -> int:
    """Keep what a run that stopped early kept; its exit code, or ``exc`` raised again (a full
    disk as one line, whichever backend met it and whether the kept part fit or not)."""
    try:
        said = _keep_partial(job, stopped, exc, started)
    except OutputError as failed:
        if not (is_disk_full(exc) and is_disk_full(failed)):
            raise
        said = f"{_why(job, exc)}; what was kept could not be written to {job.output.dest}"
    if isinstance(exc, TimeoutError) and job.timeout:
        return EXIT_SHORT
    if is_disk_full(exc):
        raise JobError(said or _why(job, exc)) from None
    raise exc


def _workroot(output: Output) -> Path:
    # the work directory sits beside the destination, so kept files are moved, not copied
    return output.dest.absolute().parent


def _bar(count: int) -> ProgressBar | NoBar:
    return NoBar() if state.quiet else ProgressBar(count)


async def _awaited(pending: Awaitable[HarvestResult], timeout: float | None) -> HarvestResult:
    async with asyncio.timeout(timeout):
        return await pending


def _keep_partial(
    job: Job, stopped: list[HarvestResult], exc: BaseException, started: float
) -> str | None:
    """Write what a stopped run kept; one line says so (a full disk's line is the caller's)."""
    interrupted = isinstance(exc, KeyboardInterrupt | asyncio.CancelledError)
    timed_out = isinstance(exc, TimeoutError) and bool(job.timeout)
    why = _why(job, exc)
    if not stopped or not stopped[0].records:
        if interrupted or timed_out:
            err.print(f"{why}: no image kept, nothing written")
        return None
    partial = stopped[0]
    write(job.output, partial, job.slug, job.info())
    total = len(job.output.prior) + len(partial.records)
    again = "" if job.output.is_zip else "; run again with --resume to complete it"
    said = (f"{why}: {total} of {job.wanted} images written to {job.output.dest} "
            f"with a matching manifest{again}")  # fmt: skip
    if not is_disk_full(exc):
        err.print(said, markup=False, highlight=False, soft_wrap=True)
    if job.as_json:
        status = "interrupted" if interrupted else "timeout" if timed_out else "failed"
        earlier = len(job.output.prior)
        seconds = time.monotonic() - started
        names = job.licence_names(partial)
        cli_json.emit(cli_json.summary(partial, job.output.dest, seconds, status=status,
                                       earlier=earlier, kept_licences=names))  # fmt: skip
    return said


def _why(job: Job, exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt | asyncio.CancelledError):
        return "interrupted"
    if isinstance(exc, TimeoutError) and job.timeout:
        return f"timed out after {job.timeout:g} s"
    if is_disk_full(exc):
        return f"disk full: no space left on the disk holding {_workroot(job.output)}"
    return "stopped by an error"


def _report(
    job: Job, result: HarvestResult, events: EventList, started: float, status: str
) -> None:
    earlier = len(job.output.prior)
    names = job.licence_names(result)
    if not state.quiet:
        print_summary(result, job.output.dest, events, earlier, names)
    if job.as_json:
        seconds = time.monotonic() - started
        cli_json.emit(cli_json.summary(result, job.output.dest, seconds, status=status,
                                       earlier=earlier, kept_licences=names))  # fmt: skip


def _exit_code(result: HarvestResult) -> int:
    if result.short:
        err.print(f"[yellow]short:[/] {escape(result.reason)}", highlight=False, soft_wrap=True)
        return EXIT_SHORT
    return EXIT_OK
