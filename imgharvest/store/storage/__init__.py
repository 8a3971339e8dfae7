"""Where archives live: the ``Store`` protocol, chosen by ``STORAGE_URL`` scheme."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

from imgharvest.errors import ConfigError


class Store(Protocol):
    """Keeps archive files under keys (``<job id>/<attempt>/<name>.zip``)."""

    def put(self, key: str, source: Path) -> None:
        """Store the file ``source`` under ``key``; the local file is gone afterwards."""

    def local_path(self, key: str) -> Path | None:
        """A local file for ``key`` to stream, or None if the store is remote or lacks it."""

    def exists(self, key: str) -> bool:
        """Whether ``key`` is stored."""

    def copy(self, key: str, new_key: str) -> bool:
        """Store what ``key`` holds under ``new_key`` too, within the store; False (and nothing
        stored) when there is no ``key``."""

    def delete(self, key: str) -> None:
        """Remove ``key`` (missing is fine)."""

    def delete_prefix(self, prefix: str) -> int:
        """Remove every key starting with ``prefix`` (a folder: ``<job id>/``); how many."""

    def open(self, key: str) -> BinaryIO | None:
        """A seekable reader of ``key`` (thumbnails read single members of a zip), or None."""

    def presign(self, key: str, seconds: int, filename: str) -> str | None:
        """A URL the user's browser downloads ``key`` from for ``seconds``; None if local."""


def from_url(url: str, endpoint_url: str | None = None) -> Store:
    """The store for ``STORAGE_URL``: ``file://<dir>`` or ``s3://bucket/prefix``."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        from imgharvest.store.storage.local import LocalStore

        return LocalStore(Path(unquote(parts.netloc + parts.path)))
    if parts.scheme == "s3":
        from imgharvest.store.storage.s3 import S3Store

        if not parts.netloc:
            raise ConfigError("STORAGE_URL: s3:// needs a bucket, as in s3://bucket/prefix")
        return S3Store(parts.netloc, parts.path.strip("/"), endpoint_url)
    raise ConfigError(f"STORAGE_URL: unsupported scheme {parts.scheme!r} (supported: file, s3)")
