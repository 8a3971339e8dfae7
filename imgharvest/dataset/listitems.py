"""One item of a URL list and the bounds a list is read within (shared by its readers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imgharvest.errors import InputError

FIELD = "file"


@dataclass(frozen=True, slots=True)
class ListItem:
    """One URL of the list, its caption and the row's other columns."""

    url: str
    caption: str = ""
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ListBounds:
    """What one list may hold."""

    items: int = 1_000_000
    lines: int = 2_000_000  # lines or rows read, blank and comment ones included
    cell: int = 4096  # characters in a URL, a caption or another cell
    columns: int = 32
    memory: int = 1 << 30  # bytes the process decoding a parquet list may use
    seconds: int = 60  # CPU seconds it may use


def header(row: list[str], bounds: ListBounds) -> list[str]:
    """The column names (lower-case) of a list's header, checked."""
    names = [cell.strip().lower() for cell in row]
    if len(names) > bounds.columns:
        raise InputError(FIELD, f"more than {bounds.columns} columns")
    if "url" not in names:
        raise InputError(FIELD, "the first line must name the columns, one of them url")
    if len(set(names)) != len(names):
        raise InputError(FIELD, "two columns have the same name")
    return [checked(n, "the header", bounds) for n in names]


def item_of(cells: dict[str, Any], where: str, bounds: ListBounds) -> ListItem | None:
    """The item of one row (None for a row without a URL); every cell bounded."""
    values = {k: checked("" if v is None else str(v), where, bounds) for k, v in cells.items()}
    url = values.pop("url", "").strip()
    if not url:
        return None
    caption = values.pop("caption", "")
    return ListItem(url, caption, tuple((k, v) for k, v in values.items() if v))


def counted_line(number: int, bounds: ListBounds) -> None:
    """Refuse a list of more than ``bounds.lines`` lines (blank ones cost time too)."""
    if number > bounds.lines:
        raise InputError(FIELD, f"the list has more than {bounds.lines} lines")


def checked(value: str, where: str, bounds: ListBounds) -> str:
    """``value`` if it is within the cell bound, else ``InputError`` naming ``where``."""
    if len(value) > bounds.cell:
        raise InputError(FIELD, f"{where}: a cell is longer than {bounds.cell} characters")
    return value
