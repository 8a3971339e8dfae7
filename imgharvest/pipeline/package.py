"""Packaging: kept images as a stored zip or a directory, each with ``manifest.csv``.

Layout (DESIGN §2): ``images/0001_<slug>.<ext>`` ... in record order (the
index widens beyond 9999 images) and ``manifest.csv`` with one row per image,
``file`` being the member path, and, when the caller gives an ``info`` maker,
``dataset.json`` made from the manifest's own rows (so its counts match them).
Images are streamed from their files, never held in memory, and the zip is
stored, not deflated (images do not compress).
Outputs appear atomically: written under a temporary name, then renamed.

Spreadsheet formula injection: titles, URLs and creators come from the web,
and a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is run as a formula by spreadsheet apps. Such text cells are prefixed with
``'`` (OWASP's advice), so a title ``-5 degrees`` reads ``'-5 degrees`` in the
manifest; numbers and hashes are never touched.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import secrets
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from imgharvest.naming import index_width, member_name, slugify
from imgharvest.pipeline.records import MANIFEST_FIELDS, ImageRecord

MANIFEST_NAME = "manifest.csv"
INFO_NAME = "dataset.json"
# Makes ``dataset.json`` from the manifest rows as written (imgharvest.dataset.info).
InfoMaker = Callable[[Sequence[Mapping[str, str]]], Mapping[str, Any]]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def member_names(records: Sequence[ImageRecord], slug: str) -> list[str]:
    """Archive member path of each record, in order."""
    width = index_width(len(records))
    safe = slugify(slug)
    return [member_name(i, width, safe, r.info.ext) for i, r in enumerate(records, 1)]


def safe_cell(value: str | int) -> str | int:
    """A manifest cell a spreadsheet will show as text, never run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def manifest_csv(records: Sequence[ImageRecord], names: Sequence[str]) -> str:
    """The manifest (UTF-8 text, RFC 4180 line ends) for records stored under ``names``."""
    return manifest_rows_csv(r.manifest_row(n) for r, n in zip(records, names, strict=True))


def manifest_rows_csv(rows: Iterable[dict[str, str | int]]) -> str:
    """The manifest text of the given rows (``MANIFEST_FIELDS`` columns)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
    return out.getvalue()


def info_json(manifest: str, info: InfoMaker) -> str:
    """``dataset.json`` text for the ``manifest`` text, as ``info`` makes it."""
    rows = list(csv.DictReader(io.StringIO(manifest, newline="")))
    return json.dumps(info(rows), indent=2, ensure_ascii=False) + "\n"


def write_zip(
    records: Sequence[ImageRecord], dest: Path, *, slug: str, info: InfoMaker | None = None
) -> Path:
    """Write the archive to ``dest`` (atomically) and return ``dest``."""
    names = member_names(records, slug)
    manifest = manifest_csv(records, names)
    with _atomic_file(dest) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(MANIFEST_NAME, manifest)
        if info is not None:
            zf.writestr(INFO_NAME, info_json(manifest, info))
        for record, name in zip(records, names, strict=True):
            zf.write(record.path, name)
    return dest


def write_dir(
    records: Sequence[ImageRecord],
    dest_dir: Path,
    *,
    slug: str,
    move: bool = False,
    info: InfoMaker | None = None,
) -> Path:
    """Put images into ``dest_dir/images/`` and write its manifest; return ``dest_dir``.

    Each file is renamed into place when complete, the manifest last, so a
    manifest present means the directory is whole. Unrelated files are left alone.
    With ``move`` the record files are moved (one rename each, when on the same
    file system) instead of copied.
    """
    names = member_names(records, slug)
    (dest_dir / "images").mkdir(parents=True, exist_ok=True)
    for record, name in zip(records, names, strict=True):
        if not (move and _moved(record.path, dest_dir / name)):
            with _atomic_file(dest_dir / name) as tmp:
                shutil.copyfile(record.path, tmp)
    _write_manifest(dest_dir, manifest_csv(records, names), info)
    return dest_dir


def append_dir(
    records: Sequence[ImageRecord],
    dest_dir: Path,
    *,
    slug: str,
    prior: Sequence[dict[str, str]],
    info: InfoMaker | None = None,
) -> Path:
    """Add images after the ``prior`` manifest rows of ``dest_dir`` (a resumed run): new files
    are numbered on from them, and the manifest, written last, lists old and new rows."""
    width = index_width(len(prior) + len(records))
    safe = slugify(slug)
    start = len(prior) + 1
    names = [member_name(i, width, safe, r.info.ext) for i, r in enumerate(records, start)]
    (dest_dir / "images").mkdir(parents=True, exist_ok=True)
    # a file the manifest does not list is not ours to replace either
    on_disk = {f"images/{path.name}" for path in (dest_dir / "images").iterdir()}
    taken = {row["file"] for row in prior} | on_disk
    names = [_free_name(n, taken) for n in names]
    for record, name in zip(records, names, strict=True):
        if not _moved(record.path, dest_dir / name):
            with _atomic_file(dest_dir / name) as tmp:
                shutil.copyfile(record.path, tmp)
    text = manifest_csv(records, names)
    _write_manifest(dest_dir, _rows_csv(prior) + text.split("\r\n", 1)[1], info)
    return dest_dir


def _write_manifest(dest_dir: Path, manifest: str, info: InfoMaker | None) -> None:
    """``dataset.json`` (if asked), then the manifest: written last, it says the folder is whole."""
    if info is not None:
        with _atomic_file(dest_dir / INFO_NAME) as tmp:
            tmp.write_text(info_json(manifest, info), encoding="utf-8", newline="")
    with _atomic_file(dest_dir / MANIFEST_NAME) as tmp:
        tmp.write_text(manifest, encoding="utf-8", newline="")


def _free_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name`` with a suffix if an earlier row already uses it."""
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem}-{n}{dot}{ext}"
    taken.add(candidate)
    return candidate


def _rows_csv(rows: Sequence[dict[str, str]]) -> str:
    """Manifest header and ``rows`` as read back (made safe again: they were read from disk)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({key: safe_cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()


def _moved(src: Path, dest: Path) -> bool:
    """Rename ``src`` onto ``dest`` (atomic); False when they are on different file systems."""
    try:
        os.replace(src, dest)
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            return False
        raise
    return True


def _new_file(folder: Path, prefix: str) -> Path:
    """A new, empty file in ``folder`` with the user's umask (``mkstemp`` would make it 0600)."""
    for _ in range(100):
        path = folder / f"{prefix}{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return path
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


@contextmanager
def _atomic_file(dest: Path) -> Iterator[Path]:
    """A temporary path next to ``dest``, renamed onto it on success, removed on failure."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_file(dest.parent, f".{dest.name}.")
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


# The dataset writers place their files the same way.
atomic_file = _atomic_file
