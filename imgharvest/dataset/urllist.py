"""URL lists, img2dataset's input: plain text (one URL a line), CSV (or TSV) or parquet with a
``url`` column, an optional ``caption`` and any other columns, kept as each item's extras.

Read as a stream, item by item, and bounded whatever the file holds: items, columns and
cell length are capped, CSV fields by the csv module's own limit; a parquet file is decoded
in a child process with a memory cap (``parquetlist``: its pages can declare gigabytes that
a few kilobytes compress to). Every problem is an ``InputError`` on ``file`` naming the line
or row and the cause.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from imgharvest.dataset.listitems import (
    FIELD,
    ListBounds,
    ListItem,
    checked,
    counted_line,
    header,
    item_of,
)
from imgharvest.dataset.parquetlist import parquet_items
from imgharvest.errors import InputError

PARQUET_MAGIC = b"PAR1"


def list_kind(name: str, head: bytes) -> str:
    """``parquet`` (by its magic bytes), ``csv``/``tsv`` (by name, or a header naming ``url``),
    else ``text``."""
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    suffix = name.lower().rpartition(".")[2] if "." in name else ""
    if suffix in ("csv", "tsv", "parquet"):
        return suffix
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    cells = [c.strip().strip('"') for c in first.split(",")]
    return "csv" if "url" in cells and len(cells) > 1 else "text"


def read_list(path: Path, name: str, bounds: ListBounds) -> Iterator[ListItem]:
    """The items of the list in the file ``path`` (``name``: the name it was given), in order;
    ``InputError`` on bad input."""
    with path.open("rb") as stream:
        kind = list_kind(name, stream.read(4096))
    if kind == "parquet":
        return _counted(parquet_items(path, bounds), bounds)
    return _counted(_opened(path, kind, bounds), bounds)


def _opened(path: Path, kind: str, bounds: ListBounds) -> Iterator[ListItem]:
    with path.open("rb") as stream:
        if kind in ("csv", "tsv"):
            yield from _csv(stream, "\t" if kind == "tsv" else ",", bounds)
        else:
            yield from _text(stream, bounds)


def _counted(items: Iterable[ListItem], bounds: ListBounds) -> Iterator[ListItem]:
    count = 0
    for item in items:
        count += 1
        if count > bounds.items:
            raise InputError(FIELD, f"the list has more than {bounds.items} URLs")
        yield item
    if not count:
        raise InputError(FIELD, "the list holds no URL")


def _decoded(stream: BinaryIO) -> io.TextIOWrapper:
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


def _text(stream: BinaryIO, bounds: ListBounds) -> Iterator[ListItem]:
    text = _decoded(stream)
    try:
        for number, raw in enumerate(text, 1):
            counted_line(number, bounds)
            line = raw.strip()
            if line and not line.startswith("#"):
                yield ListItem(checked(line, f"line {number}", bounds))
    except UnicodeDecodeError:
        raise InputError(FIELD, "is not UTF-8 text") from None
    finally:
        text.detach()


def _csv(stream: BinaryIO, delimiter: str, bounds: ListBounds) -> Iterator[ListItem]:
    text = _decoded(stream)
    rows = csv.reader(text, delimiter=delimiter)
    try:
        names = header(next(rows, []), bounds)
        url = names.index("url")
        for row in rows:
            counted_line(rows.line_num, bounds)
            if len(row) <= url or not row[url].strip():
                continue  # no URL on this row (blank lines too): nothing to fetch
            where = f"line {rows.line_num}"
            if len(row) > len(names):
                raise InputError(FIELD, f"{where}: more cells than the header names")
            item = item_of(dict(zip(names, row, strict=False)), where, bounds)
            if item is not None:
                yield item
    except csv.Error as exc:
        raise InputError(FIELD, f"line {rows.line_num}: not CSV ({exc})") from None
    except UnicodeDecodeError:
        raise InputError(FIELD, "is not UTF-8 text") from None
    finally:
        text.detach()
