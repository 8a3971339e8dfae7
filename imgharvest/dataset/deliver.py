"""Datasets for the job service: options from a stored request, the result packed as one zip
(a plain search or crawl too, with its ``dataset.json``)."""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path
from typing import Any

from imgharvest.dataset import build
from imgharvest.dataset.info import manifest_info
from imgharvest.dataset.spec import DatasetSpec
from imgharvest.naming import slugify
from imgharvest.pipeline import package
from imgharvest.pipeline.package import atomic_file
from imgharvest.pipeline.result import HarvestResult


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


def plain_zip(result: HarvestResult, archive: Path, slug_text: str, command: str) -> Path:
    """Write a plain job's kept images as the zip ``archive``, with ``dataset.json``."""
    info = functools.partial(manifest_info, command=command, wanted=result.wanted, fmt="zip")
    return package.write_zip(result.records, archive, slug=slugify(slug_text), info=info)
