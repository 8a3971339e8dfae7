"""The task queue: a Huey instance chosen by the ``QUEUE_URL`` scheme."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from huey import Huey, PostgresHuey, RedisHuey, SqliteHuey
from huey.storage import SqliteStorage

from imgharvest.errors import ConfigError

NAME = "imgharvest"


class _WalStorage(SqliteStorage):  # type: ignore[misc]
    """Huey's SQLite storage with the job database's durability: WAL with ``synchronous=NORMAL``
    (safe across a crash of any process; only a power cut may lose the last commits, as for
    the job rows themselves). SQLite's default, ``FULL``, syncs the disk on every commit, and
    every submission's queue insert then waited for it behind the worker's lock."""

    def _create_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class _WalHuey(SqliteHuey):  # type: ignore[misc]
    storage_class = _WalStorage


def make_huey(url: str, name: str = NAME) -> Huey:
    """Huey for ``QUEUE_URL``: ``sqlite:///path``, ``redis://…`` or ``postgresql://…``."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        path = Path(url.split("///", 1)[-1])
        path.parent.mkdir(parents=True, exist_ok=True)
        return _WalHuey(name, filename=str(path), results=False, timeout=30)
    if scheme in ("redis", "rediss"):
        return RedisHuey(name, url=url, results=False)
    if scheme in ("postgresql", "postgres"):
        return PostgresHuey(name, dsn=url, results=False)
    raise ConfigError(f"QUEUE_URL: unsupported scheme {scheme!r} (sqlite, redis, postgresql)")
