"""What a folder output already holds, read for ``--resume`` and trusted in nothing: the
manifest must be a plain file of whole rows, each naming a real image file inside the
folder's own ``images/`` (no symbolic link) with a URL, a SHA-256 and a pHash of the right
shapes. Anything else is an ``OutputError`` in one line, before anything is fetched."""

from __future__ import annotations

import csv
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from imgharvest.errors import OutputError
from imgharvest.pipeline import package
from imgharvest.pipeline.fetch import invalid_url
from imgharvest.pipeline.records import MANIFEST_FIELDS

REQUIRED = ("file", "url", "sha256", "phash")
MAX_MANIFEST_BYTES = 256 * 1024 * 1024  # some 500,000 rows
SHA256 = re.compile(r"[0-9a-f]{64}")
PHASH = re.compile(r"[0-9a-f]{16}")
COUNT = re.compile(r"[0-9]{1,12}")
Row = dict[str, str]


def read_manifest(folder: Path, *, strict: bool = True) -> list[Row]:
    """The checked rows of ``folder/manifest.csv`` (none when there is no manifest yet), each
    with every manifest column. ``strict=False`` (an output being replaced) skips what does
    not read instead of refusing it."""
    path = folder / package.MANIFEST_NAME
    try:
        if strict:
            _check_folder(folder)
        if not path.exists() and not path.is_symlink():
            return []
        return _rows(folder, path, strict)
    except OutputError:
        if strict:
            raise
        return []


def _check_folder(folder: Path) -> None:
    images = folder / "images"
    if images.is_symlink():
        raise OutputError(images, "is a symbolic link: a resumed folder holds its own images")
    if images.exists() and not images.is_dir():
        raise OutputError(images, "is not a folder")


def _rows(folder: Path, path: Path, strict: bool) -> list[Row]:
    info = path.lstat()
    if not stat.S_ISREG(info.st_mode):
        raise OutputError(path, "is not a plain file (a symbolic link?)")
    if info.st_size > MAX_MANIFEST_BYTES:
        raise OutputError(path, f"is larger than {MAX_MANIFEST_BYTES // 2**20} MiB")
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            return _checked(folder, path, csv.reader(fh), strict)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise OutputError(path, f"cannot be read as CSV ({exc})") from None


def _checked(folder: Path, path: Path, reader: Iterator[list[str]], strict: bool) -> list[Row]:
    header = next(reader, None)
    if header is None:
        return []
    if not set(REQUIRED) <= set(header):
        raise OutputError(path, "is not an imgharvest manifest (no file, url, sha256, phash)")
    rows: list[Row] = []
    seen: set[str] = set()
    for number, cells in enumerate(reader, 2):
        try:
            rows.append(_row(folder, header, cells, seen))
        except ValueError as exc:
            if strict:
                raise OutputError(path, f"line {number}: {exc}") from None
    return rows


def _row(folder: Path, header: list[str], cells: list[str], seen: set[str]) -> Row:
    """One row, checked, with every manifest column (missing optional ones empty)."""
    if len(cells) != len(header):
        raise ValueError(f"{len(cells)} fields where the header has {len(header)}")
    read = dict(zip(header, cells, strict=True))
    row = {name: read.get(name, "") for name in MANIFEST_FIELDS}
    _shape(row)
    if row["file"] in seen:
        raise ValueError(f"{row['file']!r} is listed twice")
    seen.add(row["file"])
    _image_file(folder, row)
    return row


def _shape(row: Row) -> None:
    why = invalid_url(row["url"])
    if why:
        raise ValueError(f"url {row['url'][:60]!r}: {why}")
    for name, pattern in (("sha256", SHA256), ("phash", PHASH)):
        if not pattern.fullmatch(row[name]):
            raise ValueError(f"{name} {row[name][:70]!r} is not {pattern.pattern}")
    for name in ("width", "height", "bytes"):
        if row[name] and not COUNT.fullmatch(row[name]):
            raise ValueError(f"{name} {row[name][:20]!r} is not a number")


def _image_file(folder: Path, row: Row) -> None:
    """The row's file is a plain file directly in ``folder/images`` with the listed size."""
    file = row["file"]
    name = file.removeprefix("images/")
    if name == file or not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ValueError(f"file {file[:80]!r} is not images/NAME")
    try:
        info = (folder / "images" / name).lstat()
    except OSError:
        raise ValueError(f"{file[:80]!r} is missing") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{file[:80]!r} is not a plain file (a symbolic link?)")
    if row["bytes"] and int(row["bytes"]) != info.st_size:
        raise ValueError(f"{file[:80]!r} has {info.st_size} bytes, the row says {row['bytes']}")
