"""What the format writers share: member names, the manifest and dataset.json, placing files."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from imgharvest.dataset.samples import Dataset, Sample
from imgharvest.naming import file_stem, index_width, member_name
from imgharvest.pipeline.package import INFO_NAME as INFO_NAME
from imgharvest.pipeline.package import atomic_file, manifest_rows_csv

MANIFEST_NAME = "manifest.csv"


def flat_names(samples: Sequence[Sample]) -> list[str]:
    """``images/0001_<label>.<ext>`` ... (the zip layout of DESIGN §2, label as slug)."""
    width = index_width(len(samples))
    return [member_name(s.index, width, s.label, s.record.info.ext) for s in samples]


def folder_names(samples: Sequence[Sample]) -> list[str]:
    """``[<split>/]<label>/0001_<label>.<ext>``: the class-per-folder layout."""
    names = []
    for sample, flat in zip(samples, flat_names(samples), strict=True):
        label = file_stem(sample.label)  # a no-op for labels made by options or jobs
        folder = f"{sample.split}/{label}" if sample.split else label
        names.append(f"{folder}/{flat.removeprefix('images/')}")
    return names


def manifest_text(samples: Sequence[Sample], names: Sequence[str]) -> str:
    """``manifest.csv`` for samples stored under ``names``."""
    return manifest_rows_csv(s.row(n) for s, n in zip(samples, names, strict=True))


def info_text(dataset: Dataset) -> str:
    """``dataset.json``, pretty-printed UTF-8 text."""
    return json.dumps(dataset.info, indent=2, ensure_ascii=False) + "\n"


def place(src: Path, dest: Path) -> None:
    """Move ``src`` to ``dest`` (copy across file systems); ``dest`` appears whole or not at all."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dest)
    except OSError:
        with atomic_file(dest) as tmp:
            shutil.copyfile(src, tmp)


def write_text(dest: Path, text: str) -> None:
    """Write ``text`` to ``dest`` atomically."""
    with atomic_file(dest) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")


def write_sidecars(dataset: Dataset, dest: Path, names: Sequence[str]) -> None:
    """``manifest.csv`` then ``dataset.json`` in ``dest`` (written last: the set is whole)."""
    write_text(dest / MANIFEST_NAME, manifest_text(dataset.samples, names))
    write_text(dest / INFO_NAME, info_text(dataset))
