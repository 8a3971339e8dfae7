"""One shard of a URL-list job as one object in the job's format: a webdataset tar, a parquet
part or a zip part, with the manifest rows of its samples; a part again without some samples
(the end step's cross-shard de-duplication); and one zip streamed from the zip parts."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tarfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from imgharvest.dataset.formats.parquet import require_pyarrow, schema
from imgharvest.dataset.formats.webdataset import add_bytes, anonymous
from imgharvest.pipeline.package import INFO_NAME, MANIFEST_NAME, atomic_file, safe_cell
from imgharvest.pipeline.records import MANIFEST_FIELDS, ImageRecord

PART_FORMATS = ("zip", "webdataset", "parquet")
NAMES = {"webdataset": "shard-{:05d}.tar", "parquet": "part-{:05d}.parquet",
         "zip": "part-{:05d}.zip"}  # fmt: skip
ROW_GROUP = 64
FIELDS = (*MANIFEST_FIELDS, "extra")


@dataclass(frozen=True, slots=True)
class PartSample:
    """One kept image of a shard: its record, its key in the job (from its place in the list)
    and the list's other columns for it."""

    record: ImageRecord
    key: str
    extra: dict[str, str]

    @property
    def image(self) -> str:
        """The image's member name: ``<key>.<ext>``."""
        return f"{self.key}.{self.record.info.ext}"


def part_name(fmt: str, number: int) -> str:
    """The name shard ``number`` is delivered under (``shard-00003.tar`` …)."""
    return NAMES[fmt].format(number)


def member_file(fmt: str, name: str, sample: PartSample) -> str:
    """The manifest ``file`` of a sample: its place in the delivered files."""
    if fmt == "zip":
        return f"images/{sample.image}"
    return f"{name}#{sample.image if fmt == 'webdataset' else sample.key}"


def rows_of(samples: Sequence[PartSample], fmt: str, name: str) -> list[dict[str, Any]]:
    """The manifest rows of the samples (``extra``: the list's other columns, as JSON)."""
    return [
        {**s.record.manifest_row(member_file(fmt, name, s)),
         "extra": json.dumps(s.extra, ensure_ascii=False) if s.extra else ""}
        for s in samples
    ]  # fmt: skip


def write_part(
    samples: Sequence[PartSample], fmt: str, name: str, dest: Path
) -> list[dict[str, Any]]:
    """Write the part to ``dest`` (atomically); the samples' manifest rows."""
    rows = rows_of(samples, fmt, name)
    with atomic_file(dest) as tmp:
        if fmt == "webdataset":
            _tar(samples, rows, tmp)
        elif fmt == "parquet":
            _parquet(samples, rows, tmp)
        else:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
                for sample in samples:
                    zf.write(sample.record.path, f"images/{sample.image}")
    return rows


def _tar(samples: Sequence[PartSample], rows: list[dict[str, Any]], path: Path) -> None:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for sample, row in zip(samples, rows, strict=True):
            tar.add(sample.record.path, arcname=sample.image, recursive=False, filter=anonymous)
            record = {**row, "extra": sample.extra}
            add_bytes(tar, f"{sample.key}.json", json.dumps(record, ensure_ascii=False).encode())
            add_bytes(tar, f"{sample.key}.txt", sample.record.caption.encode())


def _parquet(samples: Sequence[PartSample], rows: list[dict[str, Any]], path: Path) -> None:
    pa = require_pyarrow()
    columns = pa.schema([*schema(pa), ("extra", pa.string())])
    with pa.parquet.ParquetWriter(path, columns) as writer:
        for start in range(0, len(samples), ROW_GROUP):
            group = [
                {**row, "rank": row["rank"] or None,
                 "image": {"bytes": s.record.path.read_bytes(), "path": s.image}}
                for s, row in zip(samples[start : start + ROW_GROUP],
                                  rows[start : start + ROW_GROUP], strict=True)
            ]  # fmt: skip
            writer.write_table(pa.Table.from_pylist(group, schema=columns))


def without(src: Path, fmt: str, keys: set[str], dest: Path) -> None:
    """Write ``src`` (a part) to ``dest`` without the samples of ``keys``."""
    with atomic_file(dest) as tmp:
        if fmt == "webdataset":
            with tarfile.open(src) as old, tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as new:
                for info in old:
                    if info.name.split(".", 1)[0] not in keys:
                        new.addfile(info, old.extractfile(info) if info.isfile() else None)
        elif fmt == "parquet":
            pa = require_pyarrow()
            table = pa.parquet.read_table(src)
            keep = [f.rpartition("#")[2] not in keys for f in table.column("file").to_pylist()]
            pa.parquet.write_table(table.filter(pa.array(keep)), tmp)
        else:
            with zipfile.ZipFile(src) as zold, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zn:
                for member in zold.infolist():
                    if Path(member.filename).stem not in keys:
                        _copy_member(zold, member, zn)


def manifest(rows: Iterable[Mapping[str, Any]]) -> str:
    """``manifest.csv`` of a URL-list job: the manifest's columns, then ``extra``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(row.get(k) or "") for k in FIELDS})
    return out.getvalue()


def read_member(reader: BinaryIO, fmt: str, member: str) -> bytes | None:
    """One sample's image from a stored part (``member``: after the ``#`` of its file)."""
    if fmt == "webdataset":
        with tarfile.open(fileobj=reader) as tar:
            try:
                found = tar.extractfile(member)
            except KeyError:
                return None
            return found.read() if found is not None else None
    if fmt == "parquet":
        pa = require_pyarrow()
        table = pa.parquet.read_table(reader, columns=["file", "image"])
        for file, image in zip(table.column("file").to_pylist(),
                               table.column("image").to_pylist(), strict=True):  # fmt: skip
            if file.rpartition("#")[2] == member:
                return bytes(image["bytes"])
    return None


def assemble_zip(
    parts: Iterable[Path], text: str, info: str, dest: Path, skip: frozenset[str] = frozenset()
) -> Path:
    """One stored zip from the zip parts, streamed member by member (``skip``: members left
    out), with ``manifest.csv`` (``text``) and ``dataset.json`` first."""
    with atomic_file(dest) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as out:
        out.writestr(MANIFEST_NAME, text)
        out.writestr(INFO_NAME, info)
        for part in parts:
            with zipfile.ZipFile(part) as zf:
                for member in zf.infolist():
                    if member.filename not in skip:
                        _copy_member(zf, member, out)
    return dest


def _copy_member(src: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    with src.open(info) as data, out.open(info.filename, "w") as target:
        shutil.copyfileobj(data, target, 1 << 20)
