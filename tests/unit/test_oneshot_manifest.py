"""A resumed folder's manifest (issue 16 item 12): what its most hostile megabyte costs, the
size cap, and the rows read back with every column."""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc
from pathlib import Path

import pytest

from imgharvest.errors import OutputError
from imgharvest.oneshot.manifest import MAX_MANIFEST_BYTES, read_manifest
from imgharvest.pipeline.records import MANIFEST_FIELDS

MEGABYTE = 1024 * 1024
HEADER = ",".join(MANIFEST_FIELDS) + "\n"


def row(index: int, size: int = 0) -> str:
    cells = {name: "" for name in MANIFEST_FIELDS}
    cells.update(file=f"images/{index:06d}.jpg", url=f"https://example.org/{index}.jpg",
                 sha256=hashlib.sha256(str(index).encode()).hexdigest(),
                 phash=f"{index:016x}", bytes=str(size))  # fmt: skip
    return ",".join(cells[name] for name in MANIFEST_FIELDS) + "\n"


def costs(folder: Path) -> tuple[float, int, str]:
    """Seconds, peak bytes and the error of reading ``folder``'s manifest."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        read_manifest(folder)
        error = ""
    except OutputError as exc:
        error = str(exc)
    seconds = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, error


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b'"' + b"x" * MEGABYTE + b'"\n', "cannot be read as CSV"),  # one huge cell
        (
            b"a,b\n" * (MEGABYTE // 4),
            f"2 fields where the header has {len(MANIFEST_FIELDS)}",
        ),  # short rows
        (b"\0" * MEGABYTE, "cannot be read as CSV"),  # NUL bytes
        (b"\xff\xfe" * (MEGABYTE // 2), "'utf-8' codec can't decode"),  # not UTF-8
    ],
)
def test_a_hostile_megabyte_is_refused_fast_and_small(
    tmp_path: Path, body: bytes, said: str
) -> None:
    (tmp_path / "manifest.csv").write_bytes(HEADER.encode() + body)
    seconds, peak, error = costs(tmp_path)
    assert said in error
    assert seconds < 1.0 and peak < 16 * MEGABYTE, (seconds, peak)


def test_a_megabyte_of_valid_rows_reads_fast(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    count = MEGABYTE // len(row(0))
    for index in range(count):
        (images / f"{index:06d}.jpg").touch()
    (tmp_path / "manifest.csv").write_text(HEADER + "".join(row(i) for i in range(count)))
    seconds, peak, error = costs(tmp_path)
    assert error == ""
    assert seconds < 2.0 and peak < 64 * MEGABYTE, (count, seconds, peak)


def test_a_manifest_past_the_cap_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "manifest.csv"
    with path.open("wb") as fh:
        fh.truncate(MAX_MANIFEST_BYTES + 1)  # sparse: no disk used
    with pytest.raises(OutputError, match="larger than 256 MiB"):
        read_manifest(tmp_path)
    assert os.stat(path).st_blocks < 64


def test_rows_come_back_with_every_column(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "000001.jpg").write_bytes(b"abc")
    legacy = "file,url,sha256,phash,bytes\n"  # an older manifest, fewer columns
    cells = row(1, 3).split(",")
    fields = dict(zip(MANIFEST_FIELDS, cells, strict=True))
    line = ",".join(fields[name].strip() for name in ("file", "url", "sha256", "phash", "bytes"))
    (tmp_path / "manifest.csv").write_text(legacy + line + "\n")
    [read] = read_manifest(tmp_path)
    assert list(read) == list(MANIFEST_FIELDS)
    assert read["file"] == "images/000001.jpg" and read["title"] == ""


def test_replacing_an_output_reads_what_it_can(tmp_path: Path) -> None:
    (tmp_path / "manifest.csv").write_text("not,a,manifest\n1,2,3\n")
    assert read_manifest(tmp_path, strict=False) == []
    with pytest.raises(OutputError, match="not an imgharvest manifest"):
        read_manifest(tmp_path)
