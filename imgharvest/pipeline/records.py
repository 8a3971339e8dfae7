"""Per-image records: what a download, a verification and a kept image produce.

Per-image failures are data: a ``reason`` string from ``Reason``, counted in
the job's result, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from imgharvest import licences
from imgharvest.sources.base import Candidate


class Reason(StrEnum):
    """Why a candidate was not kept; values are stable (they appear in results and APIs)."""

    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    GUARD = "blocked_address"
    NOT_IMAGE = "not_image"
    TRUNCATED = "truncated"
    BOMB = "too_many_pixels"
    TOO_SMALL = "too_small"
    FORMAT = "format_filtered"
    DUPLICATE_EXACT = "duplicate_exact"
    DUPLICATE_NEAR = "duplicate_near"
    ROBOTS = "robots_disallowed"
    INVALID_URL = "invalid_url"
    # Passed every check after N were already kept: counted so tried adds up, never an error.
    SURPLUS = "surplus"
    ASPECT = "aspect_filtered"
    LICENCE = "licence_filtered"
    RESHAPE = "reshape_failed"


@dataclass(frozen=True, slots=True)
class Download:
    """The result of streaming one URL to a file; ``reason`` is set when ``ok`` is false."""

    url: str
    ok: bool
    path: Path | None = None
    size: int = 0
    sha256: str | None = None
    content_type: str | None = None
    final_url: str | None = None
    status: int | None = None
    reason: Reason | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Verified:
    """What decoding the bytes proved: real format, extension, size, perceptual hash."""

    format: str
    ext: str
    width: int
    height: int
    phash: str
    # The picture decoded at a reduced scale, kept only when a later step resizes it
    # (``verify(fit=...)``), so a JPEG's bytes are decoded once, not twice.
    pixels: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A verification failure with its reason."""

    reason: Reason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Filters:
    """Optional filters a user asked for."""

    min_width: int = 0
    min_height: int = 0
    formats: frozenset[str] = frozenset()
    min_side: int = 0
    max_aspect: float = 0.0
    licence: str = "any"


@dataclass(frozen=True, slots=True)
class Seed:
    """What an earlier run already kept (``--resume``): URLs to skip, hashes that duplicate."""

    urls: frozenset[str] = frozenset()
    hashes: tuple[tuple[str, str], ...] = ()  # (sha256, phash)


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """A kept image: its candidate, its file and everything the manifest lists."""

    candidate: Candidate
    path: Path
    size: int
    sha256: str
    info: Verified
    final_url: str
    query: str = ""
    fetched_at: str = ""

    @property
    def licence(self) -> str:
        """The licence as an SPDX-like name, or ``unknown``."""
        return licences.normalise(self.candidate.licence, self.candidate.licence_url)

    @property
    def caption(self) -> str:
        """The source's description, else alt text, else figure caption, else the title."""
        c = self.candidate
        return c.caption or c.title or ""

    def manifest_row(self, file: str) -> dict[str, str | int]:
        """One manifest.csv row (DESIGN §2 columns, then the dataset ones)."""
        c = self.candidate
        return {
            "file": file,
            "url": c.url,
            "page_url": c.page_url or "",
            "source": c.source,
            "title": c.title or "",
            "width": self.info.width,
            "height": self.info.height,
            "format": self.info.format,
            "bytes": self.size,
            "sha256": self.sha256,
            "phash": self.info.phash,
            "licence": self.licence,
            "licence_url": c.licence_url or "",
            "creator": c.creator or "",
            "query": self.query,
            "rank": c.rank or "",
            "caption": self.caption,
            "fetched_at": self.fetched_at,
            "label": "",
            "split": "",
            "chosen": c.chosen,
        }


MANIFEST_FIELDS = (
    "file", "url", "page_url", "source", "title", "width", "height", "format",
    "bytes", "sha256", "phash", "licence", "licence_url", "creator",
    "query", "rank", "caption", "fetched_at", "label", "split", "chosen",
)  # fmt: skip
