"""``get``, the one code path of ``imgharvest get`` and ``imgharvest.get``: the options,
checked (output included) before anything is fetched, then the run, plain or dataset."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from imgharvest.dataset import options as dsopts
from imgharvest.dataset.spec import DatasetSpec
from imgharvest.naming import file_stem
from imgharvest.oneshot import request
from imgharvest.oneshot.dataset import (
    DatasetJob,
    DatasetOutcome,
    is_dataset,
    plan_dataset,
    refuse,
    run_dataset,
)
from imgharvest.oneshot.output import plan
from imgharvest.oneshot.runner import Job, Outcome, RunArgs, run_to
from imgharvest.pipeline.result import HarvestResult, Progress
from imgharvest.pipeline.run import HarvestSpec, harvest
from imgharvest.settings import Settings

DEFAULT_COUNT = 20


@dataclass(frozen=True)
class GetOptions:
    """Everything ``get`` takes; the defaults are the command line's."""

    query: str | None = None
    count: int = DEFAULT_COUNT
    output: str | os.PathLike[str] | None = None
    sources: str | tuple[str, ...] = ()
    min_width: int = 0
    min_height: int = 0
    formats: str | tuple[str, ...] = ()
    overwrite: bool = False
    resume: bool = False
    timeout: float | None = None  # seconds; then what was kept is written
    queries: str | os.PathLike[str] | None = None  # a file of queries: one class each
    format: str = ""  # zip, dir, imagefolder, webdataset, parquet; default from ``output``
    shard_size: int = 1000
    max_side: int = 0
    min_side: int = 0
    max_aspect: float = 0.0
    convert: str = ""
    quality: int = 90
    animated: str = "keep"
    licence: str = "any"
    split: str = ""
    command: str = ""  # how it was asked, for dataset.json


@dataclass(frozen=True)
class PlainJob:
    """A checked plain harvest: one query into a zip or a folder."""

    job: Job
    spec: HarvestSpec


Prepared = PlainJob | DatasetJob
Finished = Outcome | DatasetOutcome


def prepare(options: GetOptions) -> Prepared:
    """Check every option and the output; nothing has been fetched yet."""
    o = options
    out = Path(o.output) if o.output is not None else None
    queries = Path(o.queries) if o.queries is not None else None
    dataset = dataset_spec(o, out)
    base = request.harvest_spec(o.query or "", o.count, o.sources, min_width=o.min_width,
                                min_height=o.min_height, formats=o.formats)  # fmt: skip
    if is_dataset(queries, o.format, dataset):
        refuse(resume=o.resume, timeout=o.timeout)
        return plan_dataset(o.query, queries, base, dataset, o.output,
                            overwrite=o.overwrite, command=o.command)  # fmt: skip
    query = request.require_text("query", o.query)
    dest = o.output if o.output is not None else f"{file_stem(query)}.zip"
    output = plan(dest, overwrite=o.overwrite, resume=o.resume)
    job = Job(output, query, o.count, o.command, o.timeout)
    return PlainJob(job, replace(base, query=query))


def dataset_spec(o: GetOptions, out: Path | None) -> DatasetSpec:
    """The dataset options, checked (the format defaults to what ``out`` implies)."""
    return dsopts.build_spec(
        format=o.format or dsopts.format_for(out), shard_size=o.shard_size,
        max_side=o.max_side, min_side=o.min_side, max_aspect=o.max_aspect,
        convert=o.convert, quality=o.quality, animated=o.animated, licence=o.licence,
        split=o.split,
    )  # fmt: skip


def execute(
    prepared: Prepared, settings: Settings, progress: Callable[[Progress], None]
) -> Finished:
    """Run the checked harvest into its output."""
    if isinstance(prepared, DatasetJob):
        return run_dataset(prepared, settings, progress)
    spec = prepared.spec

    def run(a: RunArgs) -> Awaitable[HarvestResult]:
        one = replace(spec, count=a.count)  # a resumed run asks only for what is missing
        return harvest(one, settings, a.workdir, events=a.events, progress=a.progress,
                       seed=a.seed, on_stop=a.on_stop)  # fmt: skip

    return run_to(prepared.job, run, progress)


def wanted(prepared: Prepared) -> int:
    """How many images the run asks for in all (every class of a dataset)."""
    if isinstance(prepared, DatasetJob):
        return prepared.base.count * len(prepared.classes)
    return prepared.job.wanted - prepared.job.earlier
