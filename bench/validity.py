"""Checks what a tool wrote: every image file decodable, unique by sha256 and by perceptual hash."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import imagehash
from PIL import Image

METADATA_SUFFIXES = {".json", ".txt", ".csv", ".parquet", ".log"}
NEAR_DISTANCE = 6  # the project's default near-duplicate threshold


@dataclass(frozen=True)
class Validity:
    """Counts over the image files in one output directory."""

    files: int
    invalid: int
    dup_exact: int
    dup_near: int

    @property
    def good(self) -> int:
        """Files that are decodable and unique (exactly and perceptually)."""
        return self.files - self.invalid - self.dup_exact - self.dup_near

    @property
    def all_good(self) -> bool:
        """True when every file written is a valid, unique image."""
        return self.files > 0 and self.good == self.files


# sha256 -> perceptual hash, or None when the bytes do not decode; shared across runs.
_CACHE: dict[str, imagehash.ImageHash | None] = {}


def check_dir(root: Path) -> Validity:
    """Decode and hash every non-metadata file under ``root``."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and _is_image_file(p))
    shas: set[str] = set()
    hashes: list[imagehash.ImageHash] = []
    invalid = exact = near = 0
    for path in files:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        phash = _phash(path, sha)
        if phash is None:
            invalid += 1
        elif sha in shas:
            exact += 1
        elif any(phash - seen <= NEAR_DISTANCE for seen in hashes):
            near += 1
        else:
            hashes.append(phash)
        shas.add(sha)
    return Validity(len(files), invalid, exact, near)


def _is_image_file(path: Path) -> bool:
    return path.suffix.lower() not in METADATA_SUFFIXES and not path.name.startswith(".")


def _phash(path: Path, sha: str) -> imagehash.ImageHash | None:
    if sha not in _CACHE:
        _CACHE[sha] = _decode_hash(path)
    return _CACHE[sha]


def _decode_hash(path: Path) -> imagehash.ImageHash | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as img:
                img.load()
                return imagehash.phash(img)
    except Exception:  # any decoder failure means "not a valid image file"
        return None
