"""A one-shot dataset run (many queries, or any dataset option): its classes and output,
checked before anything is fetched, then harvested, written (nothing when nothing was kept)
and summed up in a ``DatasetOutcome``."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from imgharvest.dataset import build
from imgharvest.dataset.formats import parquet
from imgharvest.dataset.options import read_queries, single_class
from imgharvest.dataset.spec import DatasetSpec, QueryClass
from imgharvest.errors import InputError
from imgharvest.events import EventList
from imgharvest.naming import file_stem
from imgharvest.oneshot.output import DIR, ZIP, Output, output_errors, plan
from imgharvest.pipeline.loop import run_async
from imgharvest.pipeline.result import Progress
from imgharvest.pipeline.run import HarvestSpec
from imgharvest.settings import Settings


@dataclass(frozen=True)
class DatasetJob:
    """A checked dataset run: its classes, the harvest each class gets, the options, where."""

    classes: list[QueryClass]
    base: HarvestSpec
    spec: DatasetSpec
    output: Output
    command: str


@dataclass(frozen=True)
class DatasetOutcome:
    """What a dataset run built and where it went (``written`` is None when nothing was kept,
    so nothing was written)."""

    job: DatasetJob
    built: build.Built
    written: Path | None
    seconds: float


def is_dataset(queries_file: Path | None, named_format: str, spec: DatasetSpec) -> bool:
    """Whether a ``get`` is a dataset run: ``-Q``, ``--format`` or any dataset option."""
    plain = DatasetSpec(format=spec.format)
    return queries_file is not None or bool(named_format) or spec != plain


def refuse(*, resume: bool, timeout: float | None) -> None:
    """Options of a plain ``get`` that dataset runs do not take yet: a clear error."""
    for option, given in (("--resume", resume), ("--timeout", timeout)):
        if given:
            raise InputError(option, "is not available with dataset options (-Q, --format ...)")


def plan_dataset(
    query: str | None,
    queries_file: Path | None,
    base: HarvestSpec,
    spec: DatasetSpec,
    out: str | os.PathLike[str] | None,
    *,
    overwrite: bool = False,
    command: str = "",
) -> DatasetJob:
    """Check the classes and the output (and that the format can be written) before fetching."""
    classes = _classes(query, queries_file)
    if spec.format == "parquet":
        parquet.require_pyarrow()
    dest = out if out is not None else _default_dest(queries_file, classes, spec)
    output = plan(dest, kind=ZIP if spec.format == "zip" else DIR, overwrite=overwrite)
    return DatasetJob(classes, build.harvest_spec(base, spec), spec, output, command)


def run_dataset(
    job: DatasetJob, settings: Settings, progress: Callable[[Progress], None]
) -> DatasetOutcome:
    """Harvest every class, then write the dataset (unless nothing was kept)."""
    started = time.monotonic()
    with output_errors(job.output.dest):
        work = tempfile.TemporaryDirectory(prefix=".imgharvest-", dir=job.output.workroot())
    with work:
        built = run_async(
            build.build(
                job.classes, job.base, job.spec, settings, Path(work.name),
                events=EventList(), progress=progress, command=job.command,
            )
        )  # fmt: skip
        written = None
        if built.dataset.samples:
            with output_errors(job.output.dest):
                written = build.write(built, job.output.dest)
    return DatasetOutcome(job, built, written, time.monotonic() - started)


def _classes(query: str | None, queries_file: Path | None) -> list[QueryClass]:
    if queries_file is not None:
        if query:
            raise InputError("queries", "give either QUERY or -Q FILE, not both")
        return read_queries(queries_file)
    if not query or not query.strip():
        raise InputError("query", "is required (or -Q FILE)")
    return single_class(query)


def _default_dest(queries_file: Path | None, classes: list[QueryClass], spec: DatasetSpec) -> Path:
    name = queries_file.stem if queries_file else classes[0].query
    return Path(file_stem(name) + (".zip" if spec.format == "zip" else ""))
