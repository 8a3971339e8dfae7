"""What the CLI says when a harvest ends, and its exit code: the summary table (not with
``-q``), the ``--json`` object, one line for a stop (Ctrl-C, a timeout, a failure) or for
a short run, and "nothing written" when nothing was kept."""

from __future__ import annotations

from rich.console import Console

from imgharvest.cli import jsonout as cli_json
from imgharvest.cli.dataset import report_dataset
from imgharvest.cli.exit import EXIT_OK, EXIT_SHORT
from imgharvest.cli.options import state
from imgharvest.cli.report import print_summary
from imgharvest.oneshot.dataset import DatasetOutcome
from imgharvest.oneshot.runner import DONE, FAILED, SHORT, TIMEOUT, Outcome

err = Console(stderr=True)


def finish(finished: Outcome | DatasetOutcome, as_json: bool) -> int:
    """Report how the run ended; the exit code, or the error that stopped it is raised (the
    caller turns it into its one line and code, after this has said what was kept)."""
    if isinstance(finished, DatasetOutcome):
        return report_dataset(finished, as_json)
    if finished.error is not None:
        _stopped(finished, as_json)
        if finished.status != TIMEOUT:
            raise finished.error
        return EXIT_SHORT
    if finished.result is None:
        _say(f"{finished.job.output.dest} already holds {finished.job.earlier} images: "
             "nothing to do")  # fmt: skip
        _json(finished, as_json)
        return EXIT_OK
    if not state.quiet:
        print_summary(finished.result, finished.written, finished.job.earlier,
                      finished.licence_names())  # fmt: skip
    _json(finished, as_json)
    return _short(finished)


def _stopped(finished: Outcome, as_json: bool) -> None:
    """One line: why it stopped and what was written (a failure's line is its error's)."""
    if finished.status != FAILED or (finished.written is not None and not finished.disk_full):
        _say(finished.stop_line())
    if finished.written is not None or finished.status != FAILED:
        _json(finished, as_json)


def _short(finished: Outcome) -> int:
    result = finished.result
    if finished.status != SHORT or result is None:
        return EXIT_OK
    nothing = "" if finished.written is not None else "; nothing kept, nothing written"
    _say(f"short: {result.reason}{nothing}", style="yellow")
    return EXIT_SHORT


def _json(finished: Outcome, as_json: bool) -> None:
    if not as_json:
        return
    status = finished.status if finished.result is not None or finished.error else DONE
    written = finished.written or (finished.job.output.dest if finished.job.earlier else None)
    error = str(finished.error) if finished.error is not None else None
    cli_json.emit(cli_json.summary(
        finished.result, written, finished.seconds, status=status, wanted=finished.job.wanted,
        earlier=finished.job.earlier, kept_licences=finished.licence_names(), error=error,
    ))  # fmt: skip


def _say(text: str, style: str | None = None) -> None:
    err.print(text, markup=False, highlight=False, soft_wrap=True, style=style)
