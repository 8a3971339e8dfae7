"""A run's thumbnails: made in the harvest's worker threads as each image is kept (a post
step, while others still download), the rest at the end, then packed in the archive's order
and stored beside it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from imgharvest.dataset.thumbpack import made, thumbnail_or_empty, write_pack
from imgharvest.pipeline.records import ImageRecord, Rejected
from imgharvest.pipeline.run import PostStep

PACK_NAME = "thumbs.bin"


class Thumbs:
    """Thumbnails of one run's kept images, by file."""

    def __init__(self) -> None:
        self.made: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def post(self, inner: PostStep | None = None) -> PostStep:
        """A post step: ``inner`` (if any), then the thumbnail of what it kept."""

        def step(record: ImageRecord) -> ImageRecord | Rejected:
            done = inner.run(record) if inner is not None else record
            if isinstance(done, ImageRecord):
                thumb = thumbnail_or_empty(done.path)
                with self._lock:
                    self.made[str(done.path)] = thumb
            return done

        return PostStep(step, fit=inner.fit if inner is not None else 0)

    def pack(self, records: Sequence[ImageRecord], dest: Path) -> Path:
        """The pack of ``records``' thumbnails, in their order (missing ones made now)."""
        missing = [r.path for r in records if str(r.path) not in self.made]
        late = dict(zip(map(str, missing), made(missing), strict=True))
        thumbs = [self.made.get(str(r.path)) or late.get(str(r.path), b"") for r in records]
        return write_pack(thumbs, dest / PACK_NAME if dest.is_dir() else dest)
