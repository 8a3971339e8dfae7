"""``LocalStore``: archives as files under one directory."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from typing import BinaryIO


class LocalStore:
    """A ``Store`` on the local file system; keys are relative POSIX paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or any(p in ("", ".", "..") for p in parts) or key.startswith("/"):
            raise ValueError(f"bad storage key {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, source: Path) -> None:
        """Move ``source`` into the store (atomic rename when on the same file system)."""
        dest = self._path(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        shutil.move(str(source), tmp)
        tmp.replace(dest)

    def local_path(self, key: str) -> Path | None:
        """The file for ``key`` if it exists."""
        path = self._path(key)
        return path if path.is_file() else None

    def exists(self, key: str) -> bool:
        """Whether the file for ``key`` exists."""
        return self._path(key).is_file()

    def copy(self, key: str, new_key: str) -> bool:
        """Copy the file for ``key`` to ``new_key`` (whole or not at all); False if missing."""
        source = self.local_path(key)
        if source is None:
            return False
        dest = self._path(new_key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        shutil.copyfile(source, tmp)
        tmp.replace(dest)
        return True

    def delete(self, key: str) -> None:
        """Remove the file and the folders that it leaves empty."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        folder = path.parent
        while folder != self.root and folder.exists() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent

    def delete_prefix(self, prefix: str) -> int:
        """Remove the folder ``prefix`` names (it must end with ``/``) and what it holds."""
        if not prefix.endswith("/"):
            raise ValueError(f"bad storage prefix {prefix!r}")
        folder = self._path(prefix.rstrip("/"))
        if not folder.is_dir():
            return 0
        files = [p for p in folder.rglob("*") if p.is_file()]
        shutil.rmtree(folder, ignore_errors=True)
        parent = folder.parent
        while parent != self.root and parent.exists() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
        return len(files)

    def open(self, key: str) -> BinaryIO | None:
        """The file for ``key`` opened for reading, or None if missing."""
        path = self.local_path(key)
        return path.open("rb") if path is not None else None

    def presign(self, key: str, seconds: int, filename: str) -> str | None:
        """Local files are streamed by the web app itself: no URL."""
        return None
