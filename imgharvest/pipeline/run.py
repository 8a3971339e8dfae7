"""The harvest: draw candidates until N images pass fetch, verify and dedupe (fill to N)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imgharvest.errors import JobError
from imgharvest.events import EventSink
from imgharvest.naming import slugify
from imgharvest.net.causes import no_network
from imgharvest.net.http import Http
from imgharvest.pipeline import package
from imgharvest.pipeline.backends import make_fetcher
from imgharvest.pipeline.dedupe import Deduper
from imgharvest.pipeline.fetch import Fetcher
from imgharvest.pipeline.fill import Fill, PostStep, ProgressSink
from imgharvest.pipeline.records import Filters, Seed
from imgharvest.pipeline.result import HarvestResult, Progress
from imgharvest.pipeline.streams import Stream
from imgharvest.settings import Settings
from imgharvest.sources import get_source
from imgharvest.sources.base import Candidate, SourceOptions

# Told what was kept so far when a harvest stops early (Ctrl-C, a failure), then it re-raises.
StopSink = Callable[[HarvestResult], None]

__all__ = [
    "HarvestResult", "HarvestSpec", "PostStep", "Progress", "Stream", "Target",
    "crawl", "harvest", "harvest_links", "harvest_streams",
]  # fmt: skip


@dataclass(frozen=True)
class HarvestSpec:
    """What to harvest: a query, how many, from which sources, with which filters."""

    query: str
    count: int
    sources: tuple[str, ...] = ()
    filters: Filters = field(default_factory=Filters)
    options: SourceOptions = field(default_factory=SourceOptions)


async def harvest(
    spec: HarvestSpec,
    settings: Settings,
    workdir: Path,
    *,
    events: EventSink,
    progress: ProgressSink | None = None,
    cancel: asyncio.Event | None = None,
    archive: Path | None = None,
    deduper: Deduper | None = None,
    post: PostStep | None = None,
    seed: Seed | None = None,
    on_stop: StopSink | None = None,
) -> HarvestResult:
    """Harvest ``spec.count`` images of ``spec.query``; write the zip to ``archive`` if given.

    A ``deduper`` shared between harvests keeps an image out of every later one.
    ``post`` runs on each kept image (see ``PostStep``).
    """
    return await harvest_streams(
        lambda http: source_streams(spec, settings, http, events),
        Target(spec.count, spec.filters, spec.query, spec.query, deduper, post),
        settings, workdir, events=events, progress=progress, cancel=cancel, archive=archive,
        seed=seed, on_stop=on_stop,
    )  # fmt: skip


async def harvest_links(
    candidates: Sequence[Candidate],
    count: int,
    settings: Settings,
    workdir: Path,
    *,
    events: EventSink,
    filters: Filters | None = None,
    progress: ProgressSink | None = None,
    cancel: asyncio.Event | None = None,
    archive: Path | None = None,
    slug: str = "images",
    seed: Seed | None = None,
    on_stop: StopSink | None = None,
    post: PostStep | None = None,
) -> HarvestResult:
    """Download, verify and dedupe a given list of candidates (up to ``count`` kept)."""
    return await harvest_streams(
        lambda http: [Stream("links", lambda: _iterate(candidates))],
        Target(count, filters or Filters(), slug, post=post),
        settings, workdir, events=events, progress=progress, cancel=cancel, archive=archive,
        seed=seed, on_stop=on_stop,
    )  # fmt: skip


@dataclass(frozen=True)
class Target:
    """How many images to keep, which pass, and the slug their archive names carry."""

    count: int
    filters: Filters
    slug: str
    query: str = ""
    deduper: Deduper | None = None
    post: PostStep | None = None


async def harvest_streams(
    open_streams: Callable[[Http], list[Stream]],
    target: Target,
    settings: Settings,
    workdir: Path,
    *,
    events: EventSink,
    progress: ProgressSink | None = None,
    cancel: asyncio.Event | None = None,
    archive: Path | None = None,
    seed: Seed | None = None,
    on_stop: StopSink | None = None,
) -> HarvestResult:
    """The fill-to-N loop over candidate streams, all sharing one fetcher.

    ``seed`` (what an earlier run kept) is skipped and counts as duplicate; ``on_stop``
    gets the images kept so far if the harvest ends early, before the error goes on.
    """
    async with make_fetcher(settings, events) as http:
        run = Fill(settings, workdir, target.count, target.filters, events, progress, cancel)
        run.query, run.post = target.query, target.post
        if target.deduper is not None:  # an empty Deduper is falsy: no ``or`` here
            run.deduper = target.deduper
        run.seed(seed or Seed())
        try:
            result = await run.execute(http, open_streams(http))
        except BaseException:
            if on_stop is not None:
                on_stop(run.result())
            raise
    return _finish(result, archive, target.slug)


async def crawl(
    urls: list[str],
    settings: Settings,
    *,
    events: EventSink,
    options: SourceOptions | None = None,
) -> list[Candidate]:
    """Every image link found on the given pages (the crawl job type)."""
    from imgharvest.sources.pages import crawl_links

    async with Fetcher(settings, events) as http:
        return await crawl_links(urls, http, settings, events, options or SourceOptions())


def source_streams(
    spec: HarvestSpec, settings: Settings, http: Http, events: EventSink
) -> list[Stream]:
    """One stream per usable source, in the order asked; unavailable ones are reported."""
    streams, skipped = [], []
    for name in spec.sources or tuple(settings.sources):
        cls = get_source(name)
        why = cls.unavailable(settings)
        if why:
            events("warning", f"{name}: unavailable ({why}); skipped")
            skipped.append(f"{name}: {why}")
            continue
        source = cls(settings, http, events, spec.options)
        streams.append(Stream(name, functools.partial(source.candidates, spec.query)))
    if not streams and skipped:
        raise JobError("every chosen source is unavailable: " + "; ".join(skipped))
    return streams


def _finish(result: HarvestResult, archive: Path | None, slug_text: str) -> HarvestResult:
    used = len(result.sources_used)
    if not result.records and result.source_errors and len(result.source_errors) == used:
        offline = no_network(result.network) if len(result.network) == used else None
        why = "every source failed: " + "; ".join(result.source_errors.values())
        raise offline or JobError(why)
    if archive is not None:
        result.archive = package.write_zip(result.records, archive, slug=slugify(slug_text))
    return result


async def _iterate(candidates: Sequence[Candidate]) -> AsyncIterator[Candidate]:
    for cand in candidates:
        yield cand
