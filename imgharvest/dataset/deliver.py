"""Datasets for the job service: options from a stored request, the result packed as one zip."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from imgharvest.dataset import build
from imgharvest.dataset.spec import DatasetSpec
from imgharvest.pipeline.package import atomic_file


def job_spec(request: dict[str, Any]) -> DatasetSpec | None:
    """The dataset options of a search job, or None when it asked for a plain zip."""
    spec = DatasetSpec(
        format=str(request.get("format") or "zip"),
        max_side=int(request.get("max_side") or 0),
        licence=str(request.get("licence") or "any"),
    )
    return None if spec == DatasetSpec() else spec


def pack(built: build.Built, archive: Path, workdir: Path) -> Path:
    """Write the dataset as the zip ``archive``: the zip format directly, others zipped whole."""
    if built.dataset.spec.format == "zip":
        return build.write(built, archive)
    folder = build.write(built, workdir / "dataset")
    with atomic_file(archive) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return archive
