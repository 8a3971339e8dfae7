"""What ``imgharvest get`` says after a dataset run (many queries, or any dataset option):
per-class counts, where it went, the licences (none of it with ``-q``), each class's
shortfall, and the ``--json`` object."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from imgharvest import licences
from imgharvest.cli import jsonout as cli_json
from imgharvest.cli.exit import EXIT_OK, EXIT_SHORT
from imgharvest.cli.options import state
from imgharvest.oneshot.dataset import DatasetOutcome

err = Console(stderr=True)


def report_dataset(finished: DatasetOutcome, as_json: bool) -> int:
    """Say how the dataset run went; the exit code (3 when a class is short)."""
    built = finished.built
    if not state.quiet:
        print_summary(finished)
    if finished.written is None:
        say("nothing kept: no output written", "yellow")
    for cls in built.classes:
        if cls.shortfall:
            say(f"short: {cls.label}: {cls.result.reason}", "yellow")
    if as_json:
        cli_json.emit(summary(finished))
    return EXIT_SHORT if built.short or finished.written is None else EXIT_OK


def print_summary(finished: DatasetOutcome) -> None:
    """Per-class counts, where it went, and the licence summary with its warning."""
    built = finished.built
    table = Table(title="imgharvest dataset", show_header=True)
    for column in ("class", "query", "kept", "short by"):
        table.add_column(column)
    for cls in built.classes:
        kept = f"{len(cls.result.records)} of {cls.result.wanted}"
        table.add_row(escape(cls.label), escape(cls.query), kept, str(cls.shortfall or ""))
    err.print(table)
    if finished.written is not None:
        say(f"written to {finished.written} ({built.dataset.spec.format})")
    line = licences.summary_line(s.record.licence for s in built.dataset.samples)
    if line:
        say(line, "yellow" if "warning" in line else None)


def summary(finished: DatasetOutcome) -> dict[str, Any]:
    """The ``--json`` object of a dataset run."""
    built = finished.built
    names = [s.record.licence for s in built.dataset.samples]
    counts, warning = licences.tally(names)
    wanted = sum(c.result.wanted for c in built.classes)
    return {
        "status": "short" if built.short or finished.written is None else "done",
        "delivered": len(built.dataset.samples),
        "wanted": wanted,
        "format": built.dataset.spec.format,
        "classes": [c.as_dict() for c in built.classes],
        "licences": dict(counts.most_common()),
        "licence_warning": warning,
        "output": str(finished.written) if finished.written is not None else None,
        "seconds": round(finished.seconds, 3),
        "error": None,
    }


def say(text: str, style: str | None = None) -> None:
    """One line on stderr, shown as is."""
    err.print(text, markup=False, highlight=False, soft_wrap=True, style=style)
