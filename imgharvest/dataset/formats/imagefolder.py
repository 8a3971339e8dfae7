"""``--format imagefolder``: one folder per class (per split first, if any).

The layout torchvision's ``ImageFolder`` and Hugging Face ``datasets``'
``imagefolder`` loader read: ``<class>/<file>`` or ``<split>/<class>/<file>``.
"""

from __future__ import annotations

from pathlib import Path

from imgharvest.dataset.formats import register
from imgharvest.dataset.formats.common import folder_names, place, write_sidecars
from imgharvest.dataset.samples import Dataset


@register("imagefolder")
def write(dataset: Dataset, dest: Path) -> Path:
    """Class folders under ``dest`` plus ``manifest.csv`` and ``dataset.json``."""
    names = folder_names(dataset.samples)
    for sample, name in zip(dataset.samples, names, strict=True):
        place(sample.record.path, dest / name)
    write_sidecars(dataset, dest, names)
    return dest
