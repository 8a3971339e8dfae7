"""The end of a run: its archive stored (patiently, while the store is away) and its outcome,
made from what the archive holds."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imgharvest import licences
from imgharvest.errors import JobCancelled, JobError, StoreUnavailable
from imgharvest.pipeline.result import HarvestResult
from imgharvest.service import reasons
from imgharvest.service.jobdata import DONE, SHORT
from imgharvest.service.jobs import JobService
from imgharvest.service.lifecycle import Claim, Outcome
from imgharvest.store.storage import Store
from imgharvest.store.storage.patience import put_retrying

log = logging.getLogger("imgharvest.tasks")

Events = Callable[[str, str], None]


class Delivery:
    """Stores one run's archive under a key holding its attempt and says what it delivered."""

    def __init__(
        self, jobs: JobService, store: Store, claim: Claim, events: Events, window: float
    ) -> None:
        self.jobs, self.store, self.claim, self.events = jobs, store, claim, events
        self.window = window

    def store_archive(self, archive: Path) -> str:
        """Put ``archive`` (or its thumbnails) in the store (retried for ``window`` seconds);
        its key.

        The attempt is part of the key: a stale run can never overwrite the archive of the
        run that replaced it, and it stores nothing once it knows it was replaced."""
        key = f"{self.claim.job_id}/{self.claim.attempt}/{archive.name}"
        if not self.jobs.heartbeat(self.claim):
            raise JobCancelled("the job was taken over before its archive was stored")

        def outage(exc: StoreUnavailable) -> None:
            self.events("warning", f"archive store unavailable ({exc}); retrying for up to "
                        f"{self.window:.0f} s")  # fmt: skip

        waited = put_retrying(self.store, key, archive, self.window, on_first_failure=outage)
        if waited >= 1:
            self.events("info", f"archive stored after {waited:.0f} s of store outage")
        return key

    def outcome(
        self,
        result: HarvestResult,
        pages: int,
        every: tuple[int, bool] | None = None,
        thumbs: Path | None = None,
    ) -> Outcome:
        """The outcome of a harvest (``thumbs``: its thumbnail pack, stored beside the
        archive); no image at all is a failure with its reason in words."""
        kept = len(result.records)
        if not kept:
            raise JobError(reasons.nothing_kept(result.tried, result.source_errors))
        key, size = None, None
        rows: list[dict[str, Any]] = []
        if result.archive is not None:
            rows = manifest(result.archive)
            size = result.archive.stat().st_size
            key = self.store_archive(result.archive)
        thumbs_key = self.store_archive(thumbs) if thumbs is not None and key else None
        if every is not None:
            status, summary = DONE, reasons.all_summary(kept, every[0], result.tried, every[1])
        else:
            status = SHORT if result.short else DONE
            summary = reasons.kept_summary(kept, result.wanted, result.tried, result.source_errors)
        licence_line = licences.summary_line(r.licence for r in result.records)
        summary = f"{summary}; {licence_line}" if licence_line else summary
        return Outcome(
            status, summary, result.tried, kept, dict(result.rejected), key, rows, pages, size,
            thumbs_key,
        )  # fmt: skip

    def drop(self, key: str) -> None:
        """Remove an archive nobody will get (its run lost the job); a store outage leaves it
        to expiry."""
        try:
            self.store.delete(key)
        except StoreUnavailable as exc:
            log.warning("job %s: archive %s not removed (%s)", self.claim.job_id, key, exc)


def manifest(archive: Path) -> list[dict[str, Any]]:
    """The rows of ``manifest.csv`` inside an archive (what the user gets is what we list)."""
    with zipfile.ZipFile(archive) as zf, zf.open("manifest.csv") as raw:
        rows = list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))
    for row in rows:
        for name in ("width", "height", "bytes", "rank"):
            row[name] = int(row.get(name) or 0)
    return rows
