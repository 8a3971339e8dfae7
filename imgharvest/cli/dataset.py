"""``imgharvest get`` for datasets (many queries or any dataset option): progress and summary."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from imgharvest import licences
from imgharvest.cli.output import plan
from imgharvest.cli.report import ProgressBar
from imgharvest.dataset import build
from imgharvest.dataset.info import command_line
from imgharvest.dataset.options import read_queries, single_class
from imgharvest.dataset.spec import DatasetSpec, QueryClass
from imgharvest.errors import InputError
from imgharvest.events import EventList
from imgharvest.naming import file_stem
from imgharvest.pipeline.loop import run_async
from imgharvest.pipeline.run import HarvestSpec
from imgharvest.settings import Settings

err = Console(stderr=True)


@dataclass(frozen=True)
class GetRequest:
    """What ``get`` was asked, beyond the dataset options."""

    query: str | None
    queries_file: Path | None
    base: HarvestSpec
    out: Path | None
    overwrite: bool = False


def wanted(queries_file: Path | None, named_format: str, spec: DatasetSpec) -> bool:
    """Whether this ``get`` is a dataset run: ``-Q``, ``--format`` or any dataset option."""
    plain = DatasetSpec(format=spec.format)
    return queries_file is not None or bool(named_format) or spec != plain


def refuse(*, resume: bool, as_json: bool, timeout: float | None) -> None:
    """Options of a plain ``get`` that dataset runs do not take yet: a clear error."""
    for option, given in (("--resume", resume), ("--json", as_json), ("--timeout", timeout)):
        if given:
            raise InputError(option, "is not available with dataset options (-Q, --format ...)")


def run_get(request: GetRequest, spec: DatasetSpec, settings: Settings) -> build.Built:
    """Harvest, write and summarise; the caller turns ``short`` into the exit code."""
    classes = _classes(request)
    base = build.harvest_spec(request.base, spec)
    dest = request.out or _default_dest(request, classes, spec)
    plan(dest, overwrite=request.overwrite)  # an existing output needs --overwrite
    events = EventList()
    dest.absolute().parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix=".imgharvest-", dir=dest.absolute().parent) as work,
        ProgressBar(base.count * len(classes)) as bar,
    ):
        built = run_async(
            build.build(
                classes, base, spec, settings, Path(work), events=events,
                progress=bar.update, command=command_line(),
            )
        )  # fmt: skip
        build.write(built, dest)
    print_summary(built, dest)
    return built


def _classes(request: GetRequest) -> list[QueryClass]:
    if request.queries_file is not None:
        if request.query:
            raise InputError("queries", "give either QUERY or -Q FILE, not both")
        return read_queries(request.queries_file)
    if not request.query or not request.query.strip():
        raise InputError("query", "is required (or -Q FILE)")
    return single_class(request.query)


def _default_dest(request: GetRequest, classes: list[QueryClass], spec: DatasetSpec) -> Path:
    name = request.queries_file.stem if request.queries_file else classes[0].query
    return Path(file_stem(name) + (".zip" if spec.format == "zip" else ""))


def print_summary(built: build.Built, dest: Path) -> None:
    """Per-class counts and shortfalls, the licence summary and its warning."""
    table = Table(title="imgharvest dataset", show_header=True)
    for column in ("class", "query", "kept", "short by"):
        table.add_column(column)
    for cls in built.classes:
        kept = f"{len(cls.result.records)} of {cls.result.wanted}"
        table.add_row(cls.label, cls.query, kept, str(cls.shortfall or ""))
    err.print(table)
    err.print(f"written to {dest} ({built.dataset.spec.format})", markup=False)
    line = licences.summary_line(s.record.licence for s in built.dataset.samples)
    if line:
        err.print(line, markup=False, style="yellow" if "warning" in line else None)
    for cls in built.classes:
        if cls.shortfall:
            err.print(f"short: {cls.label}: {cls.result.reason}", markup=False, style="yellow")
