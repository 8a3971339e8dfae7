"""The task queue: a Huey instance chosen by the ``QUEUE_URL`` scheme."""

from __future__ import annotations

from pathlib import Path

from huey import Huey, PostgresHuey, RedisHuey, SqliteHuey

from imgharvest.errors import ConfigError

NAME = "imgharvest"


def make_huey(url: str, name: str = NAME) -> Huey:
    """Huey for ``QUEUE_URL``: ``sqlite:///path``, ``redis://…`` or ``postgresql://…``."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        path = Path(url.split("///", 1)[-1])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False, timeout=30)
    if scheme in ("redis", "rediss"):
        return RedisHuey(name, url=url, results=False)
    if scheme in ("postgresql", "postgres"):
        return PostgresHuey(name, dsn=url, results=False)
    raise ConfigError(f"QUEUE_URL: unsupported scheme {scheme!r} (sqlite, redis, postgresql)")
