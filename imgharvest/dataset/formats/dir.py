"""``--format dir``: the zip's layout as a directory."""

from __future__ import annotations

from pathlib import Path

from imgharvest.dataset.formats import register
from imgharvest.dataset.formats.common import flat_names, place, write_sidecars
from imgharvest.dataset.samples import Dataset


@register("dir")
def write(dataset: Dataset, dest: Path) -> Path:
    """``dest/images/…`` plus ``manifest.csv`` and ``dataset.json``."""
    names = flat_names(dataset.samples)
    for sample, name in zip(dataset.samples, names, strict=True):
        place(sample.record.path, dest / name)
    write_sidecars(dataset, dest, names)
    return dest
