"""Filling to N: one harvest's downloads in flight, verification and de-duplication, until N
images are kept or the candidates run out (the state behind ``run.harvest``)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from imgharvest import licences
from imgharvest.errors import JobCancelled
from imgharvest.events import EventSink
from imgharvest.net.causes import NetFailure
from imgharvest.pipeline.dedupe import Deduper
from imgharvest.pipeline.fetch import Fetcher
from imgharvest.pipeline.probe import Prober
from imgharvest.pipeline.records import Filters, ImageRecord, Reason, Rejected, Seed, Verified
from imgharvest.pipeline.result import HarvestResult, Progress
from imgharvest.pipeline.streams import Stream, chain, closing
from imgharvest.pipeline.verify import verify
from imgharvest.settings import Settings
from imgharvest.sources.base import Candidate

ProgressSink = Callable[[Progress], None]


@dataclass(frozen=True)
class PostStep:
    """A step run on each kept image in the worker threads while others still download
    (resizing, re-encoding); its record replaces the kept one, a ``Rejected`` drops it.
    ``fit`` > 0 asks verification to keep a JPEG decoded at that size for it (one decode
    instead of two)."""

    run: Callable[[ImageRecord], ImageRecord | Rejected]
    fit: int = 0


class Fill:
    """One harvest's mutable state: in-flight downloads, counts, the deduper."""

    def __init__(
        self,
        settings: Settings,
        workdir: Path,
        wanted: int,
        filters: Filters,
        events: EventSink,
        progress: ProgressSink | None,
        cancel: asyncio.Event | None,
    ) -> None:
        self.settings, self.filters, self.events = settings, filters, events
        self.files = workdir / "files"
        self.files.mkdir(parents=True, exist_ok=True)
        self.wanted, self.on_progress, self.cancel = wanted, progress, cancel
        self.progress = Progress(wanted=wanted)
        self.kept: dict[int, ImageRecord] = {}
        self.deduper = Deduper(settings.near_duplicate_distance)
        self.pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
        self.errors: dict[str, str] = {}
        self.used: list[str] = []
        self.network: dict[str, NetFailure] = {}
        self.query = ""
        self.post: PostStep | None = None
        self.posted: dict[int, asyncio.Future[ImageRecord | Rejected]] = {}
        self.skip: frozenset[str] = frozenset()

    async def execute(self, http: Fetcher, streams: list[Stream]) -> HarvestResult:
        """Run the fill-to-N loop over the streams, then trim to exactly N."""
        self.http = http
        self.prober = Prober(http, self.settings.probe_budget)
        try:
            await self._loop(streams)
            await self._collect_posted()
        finally:
            self.pool.shutdown(wait=False, cancel_futures=True)
        result = self.result()
        self._report()
        return result

    def seed(self, seed: Seed) -> None:
        """Treat what an earlier run kept as kept: its URLs are skipped, its hashes duplicate."""
        self.skip = seed.urls
        for sha, phash in seed.hashes:
            self.deduper.add(sha, phash)

    def result(self) -> HarvestResult:
        """What is kept so far (exactly N at most), with the counts."""
        return HarvestResult(
            self.wanted, self._trim(), self.progress.rejected, self.progress.tried,
            self.errors, self.used, network=self.network,
        )  # fmt: skip

    async def _collect_posted(self) -> None:
        """The post step's records replace the kept ones; a rejected one is dropped, counted."""
        for index, pending in self.posted.items():
            done = await pending
            if isinstance(done, Rejected):
                self.events("warning", f"image {index}: {done.reason}: {done.detail}")
                self.progress.tried -= 1  # counted once when kept; _reject counts it again
                self._reject(str(done.reason), self.kept.pop(index).path)
            else:
                self.kept[index] = done
        self.progress.kept = len(self.kept)

    async def _loop(self, streams: list[Stream]) -> None:
        """Workers draw from one candidate stream until N are kept, it runs dry, or a cancel."""
        found = chain(streams, self.events, self.errors, self.used, self.network)
        fresh = _skipping(found, self.skip)
        async with closing(fresh) as cands:
            self.cands, self.next_index, self.busy = cands, itertools.count(), 0
            self.pull, self.filled = asyncio.Lock(), asyncio.Event()
            workers = [asyncio.create_task(self._worker()) for _ in range(self._window())]
            try:
                await self._until_stopped(workers)
            finally:
                await _cancel_all(workers)
        self._check_cancel()

    async def _until_stopped(self, workers: list[asyncio.Task[None]]) -> None:
        everyone = asyncio.gather(*workers)
        everyone.add_done_callback(_retrieved)  # it ends in CancelledError when we stop early
        stops: list[asyncio.Future[Any]] = [everyone, asyncio.ensure_future(self.filled.wait())]
        if self.cancel is not None:
            stops.append(asyncio.ensure_future(self.cancel.wait()))
        try:
            await asyncio.wait(stops, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for stop in stops[1:]:
                stop.cancel()
        if everyone.done():
            everyone.result()  # a worker's unexpected error is the job's

    async def _worker(self) -> None:
        # Workers only ever leave (the window shrinks as images are kept), so the
        # in-flight count follows what is still missing without rescanning tasks.
        while not self._done() and self.busy < self._window():
            async with self.pull:
                cand, index = await anext(self.cands, None), next(self.next_index)
            if cand is None:
                return
            self.busy += 1
            try:
                await self._process(index, cand)
            finally:
                self.busy -= 1
        if self._done():
            self.filled.set()

    def _window(self) -> int:
        """How many downloads may be in flight: enough to fill what is missing, with margin."""
        missing = self.wanted - len(self.kept)
        return max(1, min(self.settings.fetch_concurrency, missing + missing // 2 + 8))

    def _done(self) -> bool:
        return len(self.kept) >= self.wanted

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise JobCancelled("cancelled while running")

    async def _process(self, index: int, cand: Candidate) -> None:
        """Fetch and verify the candidate; when its URL fails, its fallback copies in order
        (all of them count as one candidate tried)."""
        dest = self.files / f"{index:06d}"
        if not licences.allowed(
            self.filters.licence, licences.normalise(cand.licence, cand.licence_url)
        ):
            self._reject(str(Reason.LICENCE), dest)  # known before download: nothing fetched
            return
        cand = await self.prober.order(cand)
        urls = (cand.url, *cand.fallbacks)
        for attempt, url in enumerate(urls):
            got = await self.http.download(url, dest, referer=cand.page_url)
            last = attempt == len(urls) - 1
            if not got.ok or got.path is None or got.sha256 is None:
                self._fail(str(got.reason or "http_error"), dest, last)
                continue
            info = await self._verify(got.path)
            if isinstance(info, Rejected):
                # a smaller copy cannot pass a minimum size that this one failed
                final = last or info.reason == Reason.TOO_SMALL
                self._fail(str(info.reason), got.path, final)
                if final:
                    return
                continue
            # the record names the copy it holds (the manifest's url is that copy's)
            held = cand if url == cand.url else _fallback(cand, url, attempt)
            self._keep(index, held, got.path, got.size, got.sha256, info, got.final_url or url)
            return

    def _fail(self, reason: str, path: Path, final: bool) -> None:
        """A failed copy: rejected if it was the last one to try, else just removed."""
        if final:
            self._reject(reason, path)
        else:
            path.unlink(missing_ok=True)

    async def _verify(self, path: Path) -> Verified | Rejected:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.pool,
            lambda: verify(
                path,
                max_pixels=self.settings.max_pixels,
                filters=self.filters,
                fit=self.post.fit if self.post is not None else 0,
            ),
        )

    def _keep(
        self, index: int, cand: Candidate, path: Path, size: int, sha: str, info: Verified, url: str
    ) -> None:
        dup = self.deduper.check(sha, info.phash)
        if dup is not None or self._done():
            self._reject(str(dup or Reason.SURPLUS), path)
            return
        self.deduper.add(sha, info.phash)
        # no rename to add the extension: packaging names members from ``info.ext``
        fetched = datetime.now(UTC).isoformat(timespec="seconds")
        self.kept[index] = ImageRecord(cand, path, size, sha, info, url, self.query, fetched)
        if self.post is not None:
            loop = asyncio.get_running_loop()
            self.posted[index] = loop.run_in_executor(self.pool, self.post.run, self.kept[index])
        self.progress.tried += 1
        self.progress.kept = len(self.kept)
        self._tick()

    def _reject(self, reason: str, path: Path) -> None:
        # tried counts outcomes, so tried == kept + rejected (surplus included) at any time;
        # a download still in flight when the run stops is in neither
        self.progress.tried += 1
        self.progress.rejected[reason] += 1
        path.unlink(missing_ok=True)
        self._tick()

    def _tick(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress)

    def _trim(self) -> list[ImageRecord]:
        ordered = [self.kept[i] for i in sorted(self.kept)]
        for extra in ordered[self.wanted :]:
            extra.path.unlink(missing_ok=True)
        return ordered[: self.wanted]

    def _report(self) -> None:
        p = self.progress
        self.events(
            "info", f"kept {min(p.kept, self.wanted)} of {self.wanted} from {p.tried} tried"
        )


def _fallback(cand: Candidate, url: str, attempt: int) -> Candidate:
    """The candidate as the copy that was kept when the larger ones could not be."""
    why = f"copy {attempt + 1}: the larger failed" + (f" ({cand.chosen})" if cand.chosen else "")
    return dataclasses.replace(cand, url=url, chosen=why)


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


async def _skipping(
    candidates: AsyncIterator[Candidate], urls: frozenset[str]
) -> AsyncIterator[Candidate]:
    async with closing(candidates) as inner:
        async for cand in inner:
            if cand.url not in urls:
                yield cand
