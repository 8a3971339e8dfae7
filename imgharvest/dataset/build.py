"""Build a dataset: harvest each class in turn with one de-duplication, reshape, split, write.

Classes are harvested one after the other, sharing one ``Deduper``: an image
kept for one class (or a near copy of it) is a duplicate for every later
class, so no picture lands in two classes. Each class is filled to N on its
own; a short class is reported with its shortfall and the others go on.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from imgharvest.dataset import splits
from imgharvest.dataset.formats import get_writer
from imgharvest.dataset.info import dataset_info
from imgharvest.dataset.samples import Dataset, Sample
from imgharvest.dataset.spec import DatasetSpec, QueryClass
from imgharvest.dataset.transform import reshape
from imgharvest.events import EventSink
from imgharvest.pipeline.dedupe import Deduper
from imgharvest.pipeline.records import ImageRecord, Reason, Rejected
from imgharvest.pipeline.result import HarvestResult, Progress
from imgharvest.pipeline.run import HarvestSpec, PostStep, harvest
from imgharvest.settings import Settings

# What Pillow raises for an image it read before but cannot re-encode (an odd mode,
# a file system error): that image is dropped with its reason, the run goes on.
RESHAPE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error)


@dataclass
class ClassResult:
    """One class's harvest."""

    label: str
    query: str
    result: HarvestResult

    @property
    def shortfall(self) -> int:
        """How many images the class lacks."""
        return max(0, self.result.wanted - len(self.result.records))

    def as_dict(self) -> dict[str, Any]:
        """The class as listed in ``dataset.json``."""
        kept = len(self.result.records)
        return {"label": self.label, "query": self.query, "wanted": self.result.wanted,
                "kept": kept, "shortfall": self.shortfall}  # fmt: skip


@dataclass
class Built:
    """A harvested, reshaped and split dataset, ready to be written."""

    dataset: Dataset
    classes: list[ClassResult]

    @property
    def short(self) -> bool:
        """True when any class lacks images."""
        return any(c.shortfall for c in self.classes)


async def build(
    classes: list[QueryClass],
    base: HarvestSpec,
    spec: DatasetSpec,
    settings: Settings,
    workdir: Path,
    *,
    events: EventSink,
    progress: Callable[[Progress], None] | None = None,
    command: str = "",
    cancel: asyncio.Event | None = None,
) -> Built:
    """Harvest every class (``base`` gives count, sources and filters), then reshape and split."""
    deduper = Deduper(settings.near_duplicate_distance)
    done: list[ClassResult] = []
    for number, cls in enumerate(classes):
        events("info", f"class {cls.label!r}: harvesting {base.count} of {cls.query!r}")
        result = await harvest(
            replace(base, query=cls.query), settings, workdir / f"class-{number:04d}",
            events=events, progress=_offset(progress, done, base.count * len(classes)),
            cancel=cancel, deduper=deduper, post=reshaper(spec),
        )  # fmt: skip
        done.append(ClassResult(cls.label, cls.query, result))
    samples = _samples(done, spec)
    info = dataset_info(samples, [c.as_dict() for c in done], spec, command)
    return Built(Dataset(samples, spec, info), done)


def harvest_spec(base: HarvestSpec, spec: DatasetSpec) -> HarvestSpec:
    """The harvest filters and source options the spec adds (licence filtered at the source)."""
    filters = replace(
        base.filters, min_side=spec.min_side, max_aspect=spec.max_aspect, licence=spec.licence
    )
    return replace(base, filters=filters, options=replace(base.options, licence=spec.licence))


def write(built: Built, dest: Path) -> Path:
    """Write the dataset in its spec's format to ``dest``."""
    return get_writer(built.dataset.spec.format)(built.dataset, dest)


def _offset(
    sink: Callable[[Progress], None] | None, done: list[ClassResult], wanted: int
) -> Callable[[Progress], None] | None:
    """Per-class progress as progress of the whole dataset."""
    if sink is None:
        return None
    kept = sum(len(c.result.records) for c in done)
    tried = sum(c.result.tried for c in done)

    def report(p: Progress) -> None:
        sink(Progress(wanted, tried + p.tried, kept + p.kept, p.rejected))

    return report


def _samples(done: list[ClassResult], spec: DatasetSpec) -> list[Sample]:
    """Every kept image with its class, split and position."""
    pairs = [(c.label, r) for c in done for r in c.result.records]
    return [
        Sample(record, label, splits.assign(record.sha256, spec.split), index)
        for index, (label, record) in enumerate(pairs, 1)
    ]


def reshaper(spec: DatasetSpec) -> PostStep | None:
    """The per-image step that resizes/converts as ``spec`` asks (None when it asks nothing)."""
    if not spec.reshapes:
        return None

    def step(record: ImageRecord) -> ImageRecord | Rejected:
        try:
            return reshape(record, spec, record.path.with_name(record.path.name + "-final"))
        except RESHAPE_ERRORS as exc:
            return Rejected(Reason.RESHAPE, f"{type(exc).__name__}: {exc}")

    return PostStep(step, fit=spec.max_side)
