"""``--format webdataset``: tar shards of ``--shard-size`` samples (per split, if any).

Each sample is ``<key>.<ext>`` (the image), ``<key>.json`` (its manifest
record) and ``<key>.txt`` (its caption), in that order, as the webdataset
loader groups consecutive members by key.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator, Sequence
from itertools import groupby
from pathlib import Path

from imgharvest.dataset.formats import register
from imgharvest.dataset.formats.common import write_sidecars
from imgharvest.dataset.samples import Dataset, Sample
from imgharvest.pipeline.package import atomic_file


@register("webdataset")
def write(dataset: Dataset, dest: Path) -> Path:
    """Shards ``[<split>/]shard-000000.tar`` ... under ``dest``, manifest and dataset.json."""
    names: dict[int, str] = {}
    for folder, shard in _shards(dataset.samples, dataset.spec.shard_size):
        path = dest / folder / f"shard-{shard[0]:06d}.tar"
        relative = path.relative_to(dest).as_posix()
        _write_shard(path, shard[1], relative)
        names |= {s.index: f"{relative}#{s.key}.{s.record.info.ext}" for s in shard[1]}
    write_sidecars(dataset, dest, [names[s.index] for s in dataset.samples])
    return dest


def _shards(samples: Sequence[Sample], size: int) -> Iterator[tuple[str, tuple[int, list[Sample]]]]:
    """``(folder, (number, samples))`` per shard; a folder per split, numbered from 0 each."""
    ordered = sorted(samples, key=lambda s: (s.split, s.index))
    for split, group in groupby(ordered, key=lambda s: s.split):
        items = list(group)
        for number, start in enumerate(range(0, len(items), size)):
            yield split, (number, items[start : start + size])


def _write_shard(path: Path, samples: list[Sample], relative: str) -> None:
    with atomic_file(path) as tmp, tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for sample in samples:
            image = f"{sample.key}.{sample.record.info.ext}"
            tar.add(sample.record.path, arcname=image, recursive=False, filter=anonymous)
            row = sample.row(f"{relative}#{image}")
            add_bytes(tar, f"{sample.key}.json", json.dumps(row, ensure_ascii=False).encode())
            add_bytes(tar, f"{sample.key}.txt", sample.record.caption.encode())


def anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """No local user or group names in the shards."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    return info


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    """A member of ``data``, anonymous like the others."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))
