"""What the CLI shows: a rich progress bar while harvesting, a summary table after."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from imgharvest import licences
from imgharvest.cli.options import state
from imgharvest.pipeline.listing import Link
from imgharvest.pipeline.result import HarvestResult
from imgharvest.pipeline.result import Progress as HarvestProgress

err = Console(stderr=True)
out = Console()


class RateColumn(ProgressColumn):
    """Images kept per second (over the last half minute)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f} img/s" if speed else "- img/s", style="progress.data.speed")


class ProgressBar:
    """A progress bar of kept images, one by one, with the rate and the time left (on stderr,
    so stdout stays clean for links and ``--json``)."""

    def __init__(self, total: int) -> None:
        self._bar = Progress(
            TextColumn("[bold]harvesting"), BarColumn(), MofNCompleteColumn(),
            TextColumn("tried {task.fields[tried]}"), RateColumn(),
            TextColumn("eta"), TimeRemainingColumn(), TextColumn("elapsed"), TimeElapsedColumn(),
            console=err, transient=True, refresh_per_second=20,
        )  # fmt: skip
        self._task = self._bar.add_task("kept", total=total, tried=0)

    def update(self, progress: HarvestProgress) -> None:
        """Show the latest counts."""
        self._bar.update(self._task, completed=progress.kept, tried=progress.tried)

    def __enter__(self) -> ProgressBar:
        self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.stop()


def progress_bar(total: int) -> ProgressBar | NoBar:
    """The progress bar of a run; none with ``-q``, nor when stderr is not a terminal (a log
    or a pipe gets no bar, and no blank line where it was)."""
    return NoBar() if state.quiet or not err.is_terminal else ProgressBar(total)


class NoBar:
    """The progress bar of ``--quiet``: shows nothing."""

    def update(self, progress: HarvestProgress) -> None:
        """Ignore the counts."""

    def __enter__(self) -> NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def print_summary(
    result: HarvestResult,
    dest: Path | None,
    earlier: int = 0,
    kept_licences: Sequence[str] = (),
) -> None:
    """A closing table that adds up: tried = kept + each rejection reason + surplus; then the
    licences of every image in the output, with a warning when most are unknown. ``dest``
    is None when nothing was written."""
    table = Table(title="imgharvest summary", show_header=False)
    delivered = f"{earlier + len(result.records)} of {earlier + result.wanted}"
    table.add_row("delivered", delivered + (f" ({earlier} from before)" if earlier else ""))
    table.add_row("written to", escape(str(dest)) if dest is not None else "nothing (no image)")
    table.add_row("candidates tried", str(result.tried))
    table.add_row("  kept", str(len(result.records)))
    for reason, count in result.refused.most_common():
        table.add_row(f"  rejected: {reason}", str(count))
    if result.surplus:
        table.add_row("  surplus (more than asked)", str(result.surplus))
    for message in result.source_errors.values():
        table.add_row("source failed", escape(message))
    _licence_rows(table, kept_licences)
    err.print(table)


def _licence_rows(table: Table, names: Sequence[str]) -> None:
    if not names:
        return
    table.add_row("licences", licences.sentence({"licence": name} for name in names))
    _, warning = licences.tally(names)
    if warning:
        table.add_row("[yellow]warning[/]", f"[yellow]{escape(warning)}[/]")


def print_links(links: list[Link]) -> None:
    """Image links on stdout, one per line (pipe-friendly): a picture's largest copy alone,
    another copy of it followed by a tab and the picture's URL (``cut -f1`` gives every URL)."""
    for link in links:
        typer.echo(f"{link.url}\t{link.copy_of}" if link.copy_of else link.url)
