"""Where archives live: the ``Store`` protocol, chosen by ``STORAGE_URL`` scheme."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from imgharvest.errors import ConfigError


class Store(Protocol):
    """Keeps archive files under keys (``<job id>/<name>.zip``)."""

    def put(self, key: str, source: Path) -> None:
        """Store the file ``source`` under ``key`` (the source may be moved)."""

    def local_path(self, key: str) -> Path | None:
        """A local file for ``key`` to stream, or None if the store is remote or lacks it."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""

    def delete(self, key: str) -> None:
        """Remove ``key`` (missing is fine)."""


def from_url(url: str) -> Store:
    """The store for ``STORAGE_URL``: ``file://`` now; ``s3://`` is not built yet."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        from imgharvest.storage.local import LocalStore

        return LocalStore(Path(unquote(parts.netloc + parts.path)))
    raise ConfigError(f"STORAGE_URL: unsupported scheme {parts.scheme!r} (supported: file)")
