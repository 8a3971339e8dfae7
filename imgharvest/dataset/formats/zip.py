"""``--format zip``: today's archive (DESIGN §2), stored, plus ``dataset.json``."""

from __future__ import annotations

import zipfile
from pathlib import Path

from imgharvest.dataset.formats import register
from imgharvest.dataset.formats.common import (
    INFO_NAME,
    MANIFEST_NAME,
    flat_names,
    info_text,
    manifest_text,
)
from imgharvest.dataset.samples import Dataset
from imgharvest.pipeline.package import atomic_file


@register("zip")
def write(dataset: Dataset, dest: Path) -> Path:
    """A stored zip at ``dest``: ``images/…``, ``manifest.csv``, ``dataset.json``."""
    names = flat_names(dataset.samples)
    with atomic_file(dest) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(MANIFEST_NAME, manifest_text(dataset.samples, names))
        zf.writestr(INFO_NAME, info_text(dataset))
        for sample, name in zip(dataset.samples, names, strict=True):
            zf.write(sample.record.path, name)
    return dest
