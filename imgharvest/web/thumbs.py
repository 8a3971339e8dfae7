"""Gallery thumbnails: a page's thumbnails read once from the job's thumbnail packs and kept a
few minutes (a tile then costs no read), or, for a job without packs, one made from the image
in its archive."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime

from imgharvest.dataset.thumbpack import thumbnail
from imgharvest.service.jobs import JobService

THUMB_BOX = (480, 480)
PAGE = 100  # tiles a gallery page shows (jobview.GALLERY_PAGE)
KEEP_SECONDS = 300.0
PAGES_KEPT = 64

__all__ = ["THUMB_BOX", "ThumbCache", "thumbnail"]


class ThumbCache:
    """Pages of thumbnails by (job, page); one reader per page at a time (the browser asks
    for a page's tiles at once), never past the job's expiry."""

    def __init__(self, page: int = PAGE, pages: int = PAGES_KEPT) -> None:
        self.page, self.pages = page, pages
        self._kept: OrderedDict[tuple[str, int], tuple[float, list[bytes] | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._reading: dict[tuple[str, int], threading.Lock] = {}

    def tile(self, jobs: JobService, job_id: str, position: int) -> bytes | None:
        """The thumbnail at ``position`` from the job's packs; None without one."""
        if position < 0:
            return None
        key = (job_id, position // self.page)
        thumbs = self._cached(key)
        if thumbs is None:
            with self._reader(key):
                thumbs = self._cached(key)
                if thumbs is None:
                    thumbs = self._read(jobs, key)
        offset = position - key[1] * self.page
        return thumbs[offset] or None if offset < len(thumbs) else None

    def peek(self, job_id: str, position: int) -> bytes | None:
        """The tile if its page is in memory now (no read, no thread: the event loop serves
        a cached page's tiles itself); None otherwise."""
        thumbs = self._cached((job_id, position // self.page)) if position >= 0 else None
        offset = position - (position // self.page) * self.page
        return thumbs[offset] or None if thumbs and offset < len(thumbs) else None

    def _cached(self, key: tuple[str, int]) -> list[bytes] | None:
        with self._lock:
            found = self._kept.get(key)
            if found is None or found[0] < time.monotonic():
                return None
            self._kept.move_to_end(key)
            return found[1] or []

    def _reader(self, key: tuple[str, int]) -> threading.Lock:
        with self._lock:
            return self._reading.setdefault(key, threading.Lock())

    def _read(self, jobs: JobService, key: tuple[str, int]) -> list[bytes]:
        try:
            page = jobs.thumb_page(key[0], key[1] * self.page, self.page)
        except Exception:  # the store is away (a 503 says so): the next tile tries again
            with self._lock:
                self._reading.pop(key, None)
            raise
        keep = KEEP_SECONDS
        if page is not None and page.until is not None:  # gone with the job at its expiry
            keep = min(keep, (page.until - datetime.now(UTC)).total_seconds())
        with self._lock:
            self._kept[key] = (time.monotonic() + keep, page.thumbs if page else None)
            self._reading.pop(key, None)
            while len(self._kept) > self.pages:
                self._kept.popitem(last=False)
        return page.thumbs if page else []
