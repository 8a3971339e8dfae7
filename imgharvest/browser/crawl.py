"""Rendered crawling: a page read in Chromium becomes the same ``Page`` the static crawl yields."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from imgharvest.browser.job import BrowserJob
from imgharvest.browser.render import Rendered, RenderedImage, render_page
from imgharvest.browser.srcset import largest
from imgharvest.errors import GuardError
from imgharvest.extract.junk import placeholder_url
from imgharvest.extract.page import ImageRef, Page, extract_page

if TYPE_CHECKING:
    from imgharvest.events import EventSink
    from imgharvest.settings import Settings


class RenderedReader:
    """Reads pages in one browser context, opened on the first page and closed by ``close``."""

    def __init__(self, settings: Settings, events: EventSink) -> None:
        self.settings, self.events = settings, events
        self._job: BrowserJob | None = None
        self._opening = asyncio.Lock()

    async def read(self, url: str) -> Page | None:
        """The rendered page, or None (with an event) when it could not be rendered."""
        from playwright.async_api import Error

        job = await self._open()
        try:
            rendered = await job.visit(render_page, url)
        except (Error, TimeoutError, GuardError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.events("warning", f"pages: {url} could not be rendered ({first[:200]})")
            return None
        if rendered.status is not None and rendered.status >= 400:
            self.events("warning", f"pages: {url} answered HTTP {rendered.status}; skipped")
            return None
        if not rendered.settled:
            self.events("info", f"pages: {url} kept the network busy; read it as it was")
        return to_page(rendered)

    async def _open(self) -> BrowserJob:
        async with self._opening:
            if self._job is None:
                job = BrowserJob(self.settings, self.events)
                await job.__aenter__()
                self._job = job
            return self._job

    async def close(self) -> None:
        """Close the browser context (the browser itself stays up for the next job)."""
        if self._job is not None:
            job, self._job = self._job, None
            await job.__aexit__(None, None, None)


def to_page(rendered: Rendered) -> Page:
    """The static extractor's answer on the rendered DOM, plus what only the browser knew (a
    copy the static answer already names, such as the ``<picture>`` source a narrow window
    chose, is that picture's, not another one)."""
    static = extract_page(rendered.html, rendered.url)
    known = {url for ref in static.images for url in (ref.url, *ref.fallbacks)}
    found = [r for r in rendered_refs(rendered) if r.url not in known]
    found += static.images
    return Page(
        url=rendered.url,
        base=static.base,
        title=rendered.title.strip() or static.title,
        images=_unique(found),
        links=static.links,
    )


def rendered_refs(rendered: Rendered) -> list[ImageRef]:
    """``currentSrc`` and the largest ``srcset`` copy of each image, then computed backgrounds."""
    refs = []
    for img in rendered.images:
        refs += _img_refs(img)
    refs += [ImageRef(url=u, kind="background") for u in rendered.backgrounds if _usable(u)]
    return refs


def _img_refs(img: RenderedImage) -> list[ImageRef]:
    alt = img.alt or None
    refs = []
    if _usable(img.current):
        width, height = img.width or None, img.height or None
        refs.append(ImageRef(img.current, "rendered", width=width, height=height, alt=alt))
    best = largest(img.srcset, img.current or img.src) if img.srcset else None
    if best is not None and _usable(best):
        refs.append(ImageRef(url=best, kind="srcset", alt=alt))
    return refs


def _usable(url: str) -> bool:
    return url.startswith(("http://", "https://")) and not placeholder_url(url)


def _unique(refs: list[ImageRef]) -> list[ImageRef]:
    seen: set[str] = set()
    kept = []
    for ref in refs:
        if ref.url not in seen:
            seen.add(ref.url)
            kept.append(ref)
    return kept
