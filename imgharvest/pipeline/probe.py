"""The header probe: when a page gives no size that tells a picture's copies apart, their own
first bytes do. Each copy's first ``PROBE_BYTES`` come by a ranged GET through the guarded
fetcher, Pillow reads the dimensions from them, and the largest copy goes first; each page
has a budget of ranged requests (``Settings.probe_budget``)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import warnings
from typing import Protocol

from PIL import Image

from imgharvest.sources.base import Candidate

# JPEG, PNG, GIF and WebP state their size in the first few hundred bytes; a JPEG's EXIF
# block (thumbnail included) comes first and is rarely longer than this.
PROBE_BYTES = 32 * 1024


class HeadReader(Protocol):
    """The fetcher's seam the probe uses (``Fetcher.head_bytes``)."""

    async def head_bytes(
        self, url: str, limit: int, *, referer: str | None = None
    ) -> bytes | None: ...


def dimensions(head: bytes | None) -> tuple[int, int] | None:
    """Width and height read from an image's first bytes, or None if they do not say."""
    if not head:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(head)) as image:
                width, height = image.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return (width, height) if width > 0 and height > 0 else None


class Prober:
    """Orders the copies of unsized candidates by measured size, within a per-page budget."""

    def __init__(self, http: HeadReader, budget: int) -> None:
        self.http, self.budget = http, budget
        self.spent: dict[str, int] = {}  # ranged requests made, by page URL

    async def order(self, cand: Candidate) -> Candidate:
        """``cand`` with its largest measured copy as ``url`` and ``chosen`` saying so;
        unchanged when the page sized its copies, or fewer than two could be measured."""
        page = cand.page_url or ""
        copies = (cand.url, *cand.fallbacks)[: self._left(page)]
        if not cand.unsized or len(copies) < 2:
            return cand
        self.spent[page] = self.spent.get(page, 0) + len(copies)
        sizes = await self._measure(copies, cand.page_url)
        if not sizes:
            return cand
        ranked = sorted((cand.url, *cand.fallbacks), key=lambda u: -_pixels(sizes.get(u)))
        width, height = sizes[ranked[0]]
        chosen = f"probed {width}x{height}, largest of {len(sizes)} measured copies"
        return dataclasses.replace(
            cand, url=ranked[0], fallbacks=tuple(ranked[1:]), width=width, height=height,
            chosen=chosen, unsized=False,
        )  # fmt: skip

    async def _measure(
        self, urls: tuple[str, ...], referer: str | None
    ) -> dict[str, tuple[int, int]]:
        """The dimensions of each copy whose first bytes say them (all read at once)."""
        heads = await asyncio.gather(
            *(self.http.head_bytes(url, PROBE_BYTES, referer=referer) for url in urls)
        )
        found = {url: dimensions(head) for url, head in zip(urls, heads, strict=True)}
        return {url: size for url, size in found.items() if size is not None}

    def _left(self, page: str) -> int:
        return max(0, self.budget - self.spent.get(page, 0))


def _pixels(size: tuple[int, int] | None) -> int:
    return size[0] * size[1] if size else 0
