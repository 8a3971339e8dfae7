"""The original crawler's walk: each given page and every page its ``<a>`` links lead to (one hop).

Up to ``HOP_CONCURRENCY`` pages are read at once. Each page read passes the
crawl job's rules (robots.txt, HTML only, the network guard on every fetch);
each given page may lead to at most ``max_pages`` pages in all (its budget).
The caller sees every state change: pages read, pages being read now, and
the new pictures and image links of each page as soon as it is parsed. The links
hold every copy of each picture and, as the original crawler listed them, every
``<img src>`` ending in .jpg, .png or .gif, even one the extractor set aside.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from imgharvest.errors import JobCancelled, JobError
from imgharvest.extract.page import Page
from imgharvest.pipeline.fetch import Fetcher
from imgharvest.pipeline.listing import Link, listed
from imgharvest.sources.base import Candidate
from imgharvest.sources.pages import Pages, page_candidates, page_reader

if TYPE_CHECKING:
    from imgharvest.events import EventSink
    from imgharvest.settings import Settings

HOP_CONCURRENCY = 5
Reader = Callable[[str], Awaitable[Page | None]]
OnLinks = Callable[[list[Candidate], list[Link]], None]  # new pictures, new links


@dataclass
class HopState:
    """Live counts: pages read (``completed``) and pages being read now (``in_process``)."""

    read: int = 0
    active: int = 0


@dataclass(frozen=True, slots=True)
class _Item:
    url: str
    root: int
    hop: int


class OneHop:
    """One walk over the given pages and their links."""

    def __init__(
        self,
        settings: Settings,
        events: EventSink,
        on_links: OnLinks,
        max_pages: int = 50,
        cancel: asyncio.Event | None = None,
    ) -> None:
        self.settings, self.events, self.on_links = settings, events, on_links
        self.max_pages, self.cancel = max_pages, cancel
        self.state = HopState()
        self.queue: asyncio.Queue[_Item | None] = asyncio.Queue()
        self.seen_pages: set[str] = set()
        self.seen_links: set[str] = set()
        self.listed: set[str] = set()
        self.budgets: list[int] = []
        self.roots_read = 0

    async def run(self, urls: list[str]) -> HopState:
        """Read every page; ``JobError`` if none of the given pages could be read."""
        self.budgets = [self.max_pages] * len(urls)
        for root, url in enumerate(urls):
            self._enqueue(url, root, 0)
        async with Fetcher(self.settings, self.events) as http:
            read = page_reader(http, self.settings, self.events)
            workers = [asyncio.create_task(self._worker(read)) for _ in range(HOP_CONCURRENCY)]
            await self.queue.join()
            for _ in workers:
                self.queue.put_nowait(None)
            await asyncio.gather(*workers)
        if self.cancel is not None and self.cancel.is_set():
            raise JobCancelled("cancelled while crawling")
        if not self.roots_read:
            raise JobError("could not read any of the given pages (see the events)")
        return self.state

    def _enqueue(self, url: str, root: int, hop: int) -> None:
        if url in self.seen_pages or self.budgets[root] <= 0:
            return
        self.seen_pages.add(url)
        self.budgets[root] -= 1
        self.queue.put_nowait(_Item(url, root, hop))

    async def _worker(self, read: Reader) -> None:
        while (item := await self.queue.get()) is not None:
            try:
                if self.cancel is None or not self.cancel.is_set():
                    await self._read(item, read)
            finally:
                self.queue.task_done()
        self.queue.task_done()

    async def _read(self, item: _Item, read: Reader) -> None:
        self.state.active += 1
        try:
            page = await read(item.url)
        finally:
            self.state.active -= 1
        if page is None:
            return
        self.state.read += 1
        self.roots_read += item.hop == 0
        fresh = [c for c in page_candidates(page) if c.url not in self.seen_links]
        self.seen_links.update(c.url for c in fresh)
        links = listed(fresh, self.listed) + listed(_img_srcs(page), self.listed)
        if fresh or links:
            self.on_links(fresh, links)
        if item.hop == 0:
            for link in page.links:
                if urlsplit(link).scheme in ("http", "https"):
                    self._enqueue(link, item.root, 1)


def _img_srcs(page: Page) -> list[Candidate]:
    """The page's ``<img src>`` as the original crawler listed them (most are pictures too)."""
    return [Candidate(url, Pages.name, page.url, page.title) for url in page.img_srcs]
