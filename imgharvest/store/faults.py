"""Faults of the machine, named: a full disk and a damaged or unreachable database.

Code that meets an exception asks here what it means (``is_disk_full``,
``database_fault``) so a full disk ends a job as "disk full" and a damaged
database gives a 503 and one clear line, never a crash or a traceback.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from imgharvest.errors import JobError

DISK_FULL = "disk full"
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_DAMAGED = ("malformed", "not a database", "file is encrypted", "disk i/o error", "corrupt")
_FULL = ("database or disk is full",)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, DBAPIError) and current.orig is not None:
            yield current.orig
        current = current.__cause__ or current.__context__


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a write refused because the disk is full."""
    for err in _chain(exc):
        if isinstance(err, OSError) and err.errno in _FULL_ERRNOS:
            return True
        if isinstance(err, sqlite3.Error | SQLAlchemyError) and _says(err, _FULL):
            return True
    return False


def database_fault(exc: BaseException) -> str | None:
    """``"damaged"``, ``"full"`` or ``"unavailable"`` for a database error; None otherwise."""
    errors = [e for e in _chain(exc) if isinstance(e, sqlite3.Error | SQLAlchemyError)]
    if not errors:
        return None
    if any(_says(e, _DAMAGED) for e in errors):
        return "damaged"
    if any(_says(e, _FULL) for e in errors):
        return "full"
    return "unavailable"


def short_reason(exc: BaseException) -> str:
    """The database driver's own words for ``exc`` (one line, no SQL, no traceback)."""
    for err in _chain(exc):
        if isinstance(err, sqlite3.Error):
            return str(err).splitlines()[0][:200]
    return type(exc).__name__


def _says(err: BaseException, words: tuple[str, ...]) -> bool:
    text_ = str(err).lower()
    return any(word in text_ for word in words)


def free_bytes(path: Path) -> int:
    """Free bytes on the file system holding ``path`` (its nearest existing parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def check_free_space(path: Path, minimum: int) -> None:
    """Raise ``JobError("disk full: …")`` when less than ``minimum`` bytes are free at ``path``."""
    free = free_bytes(path)
    if free < minimum:
        raise JobError(
            f"{DISK_FULL}: {free // 2**20} MiB free in the data folder, "
            f"MIN_FREE_BYTES asks for {minimum // 2**20} MiB"
        )


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///…`` URL (None for other databases and in-memory ones)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def integrity_problems(path: Path, limit: int = 20) -> list[str]:
    """``PRAGMA integrity_check`` of one SQLite file: [] when sound, else its findings."""
    if not path.is_file():
        return [f"{path} does not exist"]
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(f"PRAGMA integrity_check({int(limit)})")).scalars().all()
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None) or exc
        return [str(orig)]
    finally:
        engine.dispose()
    return [] if [str(r) for r in rows] == ["ok"] else [str(r) for r in rows]


def damaged_file(urls: list[str]) -> Path | None:
    """The first SQLite file among ``urls`` that fails its integrity check."""
    for url in urls:
        path = sqlite_file(url)
        if path is not None and path.exists() and integrity_problems(path, 1):
            return path
    return None
