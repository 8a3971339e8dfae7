"""One run of one shard of a URL-list job: its items read from the stored list, fetched,
verified and de-duplicated like any job's, written as one object in the job's format with
its rows; an image another shard already kept (the same bytes) is a duplicate here too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Any

from sqlalchemy.exc import IntegrityError

from imgharvest.dataset.build import reshaper
from imgharvest.dataset.partout import PartSample, part_name, write_part
from imgharvest.errors import JobCancelled, JobError, StoreUnavailable
from imgharvest.pipeline.records import Filters, ImageRecord, Reason
from imgharvest.pipeline.result import HarvestResult, Progress
from imgharvest.pipeline.run import harvest_links
from imgharvest.service.fetchjob import job_spec, shard_entries
from imgharvest.service.jobrun import RunParts
from imgharvest.service.partrun import PartRun
from imgharvest.service.parts import PartClaim
from imgharvest.service.thumbmaker import Thumbs
from imgharvest.store.storage.patience import put_retrying

log = logging.getLogger("imgharvest.tasks")

CLASHES = 3  # tries when another shard kept one of this shard's images meanwhile
SUFFIX = {"webdataset": ".tar", "parquet": ".parquet", "zip": ".zip"}


class ShardRun(PartRun):
    """Fetch one shard and store it; ``execute`` is True when the job's end step is due."""

    def __init__(self, parts: RunParts, claim: PartClaim) -> None:
        super().__init__(parts, claim)
        self.thumbs = Thumbs()

    async def run(self, cancel: asyncio.Event) -> Any:
        claim, spec = self.claim, job_spec(self.claim.request)
        span = (claim.input_start, claim.input_bytes)
        entries = await asyncio.to_thread(
            shard_entries, self.svc.store, claim.job_id, claim.number, span, spec.shard_size
        )
        filters = Filters(min_side=spec.min_side, max_aspect=spec.max_aspect, licence=spec.licence)
        result = await harvest_links(
            [e.candidate() for e in entries], len(entries), self.svc.settings,
            self.workdir, events=self.events, filters=filters, progress=self._progress,
            cancel=cancel, post=self.thumbs.post(reshaper(spec)), slug="list",
        )  # fmt: skip
        if cancel.is_set():
            raise JobCancelled("the shard was taken over or the job cancelled")
        extras = {e.rank: dict(e.item.extra) for e in entries}
        return await asyncio.to_thread(self._store, result, extras)

    def _progress(self, progress: Progress) -> None:
        self.counts = (progress.tried, progress.kept)

    def _store(self, result: HarvestResult, extras: dict[int, dict[str, str]]) -> bool:
        """Write and store the shard, then record it; True when it was the job's last."""
        records = result.records
        for _ in range(CLASHES):
            known = self.svc.jobs.known_hashes(self.claim.job_id, [r.sha256 for r in records])
            records = [r for r in records if r.sha256 not in known]
            key, size, rows, thumbs = self._stored(records, extras)
            rejected = Counter(result.rejected)
            rejected[str(Reason.DUPLICATE_EXACT)] += len(result.records) - len(records)
            counts = (result.tried, len(records), dict(rejected))
            try:
                due = self.svc.jobs.finish_shard(self.claim, (key, size, thumbs), rows, counts)
            except IntegrityError:  # another shard kept one of these just now: look again
                self._drop(key)
                continue
            if due is None:
                self._drop(key)  # the shard was taken over: its objects are nobody's
                self._drop(thumbs)
                raise JobCancelled("the shard was taken over before it was recorded")
            return bool(due)
        raise JobError("its images kept clashing with other shards'")

    def _stored(
        self, records: list[ImageRecord], extras: dict[int, dict[str, str]]
    ) -> tuple[str, int, list[dict[str, Any]], str]:
        """The shard written and stored, in the list's order: its key, size, rows, and the key
        of its thumbnails."""
        fmt = self.claim.request["format"]
        name = part_name(fmt, self.claim.number)
        records = sorted(records, key=lambda r: r.candidate.rank or 0)
        samples = [_sample(r, extras) for r in records]
        path = self.workdir / name
        rows = write_part(samples, fmt, name, path)
        key = f"{self.claim.job_id}/shards/{self.claim.number:05d}-{self.claim.attempt}"
        key += SUFFIX[fmt]
        size = path.stat().st_size
        window = self.svc.settings.store_retry_seconds
        thumbs = self.thumbs.pack(records, self.workdir / "thumbs.bin")
        put_retrying(self.svc.store, key, path, window)
        thumbs_key = key.rsplit(".", 1)[0] + ".thumbs"
        put_retrying(self.svc.store, thumbs_key, thumbs, window)
        return key, size, rows, thumbs_key

    def _drop(self, key: str) -> None:
        """Remove an object nobody will get."""
        with contextlib.suppress(StoreUnavailable):  # else it goes with the job at expiry
            self.svc.store.delete(key)


def _sample(record: ImageRecord, extras: dict[int, dict[str, str]]) -> PartSample:
    """A kept image as a sample keyed by its place in the list."""
    rank = record.candidate.rank or 0
    return PartSample(record, f"{rank:08d}", extras.get(rank, {}))
