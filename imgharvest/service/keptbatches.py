"""A run's kept images reach the store as they are kept: gathered by a post step of the
harvest, stored every second as one small zip with their rows (``KeptParts``), and read back
by the next attempt as its seed, so a takeover resumes from the kept set instead of zero."""

from __future__ import annotations

import contextlib
import logging
import threading
import zipfile
from pathlib import Path
from typing import Any

from imgharvest.errors import StoreUnavailable
from imgharvest.pipeline.records import ImageRecord, Seed, Verified
from imgharvest.pipeline.run import PostStep
from imgharvest.service.jobs import JobService
from imgharvest.service.lifecycle import Claim
from imgharvest.sources.base import Candidate
from imgharvest.store.storage import Store

log = logging.getLogger("imgharvest.tasks")

BATCH_SECONDS = 1.0


class KeptBatches:
    """One run's batches: what it kept since the last store, and what earlier runs stored."""

    def __init__(self, jobs: JobService, store: Store, claim: Claim, workdir: Path) -> None:
        self.jobs, self.store, self.claim, self.workdir = jobs, store, claim, workdir
        self.pending: list[ImageRecord] = []
        self.stored = self.batches = 0
        self._lock = threading.Lock()

    def post(self) -> PostStep:
        """The harvest's post step that notes each kept image (its record unchanged)."""

        def note(record: ImageRecord) -> ImageRecord:
            with self._lock:
                self.pending.append(record)
            return record

        return PostStep(note)

    def flush(self) -> int:
        """Store what was kept since the last flush as one object with its rows; how many.
        A store outage keeps the batch for the next flush; a lost job stores nothing."""
        with self._lock:
            batch, self.pending = self.pending, []
        if not batch:
            return 0
        self.batches += 1
        names = [f"{i:06d}.{r.info.ext}" for i, r in enumerate(batch, self.stored + 1)]
        path = self._zip(batch, names)
        key = f"{self.claim.job_id}/kept/{self.claim.attempt}-{self.batches:05d}.zip"
        try:
            self.store.put(key, path)
        except StoreUnavailable as exc:
            log.warning("job %s: kept images not stored yet (%s)", self.claim.job_id, exc)
            path.unlink(missing_ok=True)
            with self._lock:
                self.pending[:0] = batch
            return 0
        rows = [r.manifest_row(n) for r, n in zip(batch, names, strict=True)]
        if not self.jobs.add_kept(self.claim, key, rows):
            self._drop(key)
            return 0
        self.stored += len(batch)
        return len(batch)

    def _zip(self, batch: list[ImageRecord], names: list[str]) -> Path:
        path = self.workdir / f"kept-{self.batches:05d}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
            for record, name in zip(batch, names, strict=True):
                zf.write(record.path, name)
        return path

    def _drop(self, key: str) -> None:
        with contextlib.suppress(StoreUnavailable):  # else it goes with the job at expiry
            self.store.delete(key)

    def load(self) -> list[ImageRecord]:
        """What earlier attempts stored, as kept records with their files in the workdir."""
        folder = self.workdir / "seed"
        records: list[ImageRecord] = []
        for part in self.jobs.kept_parts(self.claim.job_id):
            reader = self.store.open(part.key)
            if reader is None:
                continue  # the object is gone: those images are fetched again
            folder.mkdir(parents=True, exist_ok=True)
            with reader, zipfile.ZipFile(reader) as zf:
                for row in part.rows:
                    path = folder / Path(str(row["file"])).name
                    path.write_bytes(zf.read(str(row["file"])))
                    records.append(record_of(row, path))
        self.stored = len(records)
        return records


def discard(store: Store, job_id: str) -> None:
    """Remove the kept batches once the job's archive holds their images (best effort: what
    an outage leaves goes with the job at expiry)."""
    with contextlib.suppress(StoreUnavailable):
        store.delete_prefix(f"{job_id}/kept/")


def seed_of(records: list[ImageRecord]) -> Seed:
    """What a harvest must skip (URLs) and treat as duplicate (hashes) after ``records``."""
    urls = frozenset(r.candidate.url for r in records)
    return Seed(urls, tuple((r.sha256, r.info.phash) for r in records))


def record_of(row: dict[str, Any], path: Path) -> ImageRecord:
    """A kept image's record again, from its manifest row and its file."""
    cand = Candidate(
        url=str(row["url"]), source=str(row["source"]), page_url=row["page_url"] or None,
        title=row["title"] or None, licence=row["licence"] or None,
        licence_url=row["licence_url"] or None, creator=row["creator"] or None,
        caption=row["caption"] or None, rank=int(row["rank"] or 0) or None,
    )  # fmt: skip
    info = Verified(str(row["format"]), path.suffix.lstrip("."), int(row["width"]),
                    int(row["height"]), str(row["phash"]))  # fmt: skip
    return ImageRecord(cand, path, int(row["bytes"]), str(row["sha256"]), info, str(row["url"]),
                       str(row["query"]), str(row["fetched_at"]))  # fmt: skip
