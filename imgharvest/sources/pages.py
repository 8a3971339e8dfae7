"""The ``pages`` source: image links on given web pages, optionally following same-site links."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from imgharvest.errors import FetchError, InputError, SourceError
from imgharvest.extract.page import ImageRef, Page, extract_page
from imgharvest.net.http import Http
from imgharvest.net.robots import RobotsCache, Unreachable
from imgharvest.sources.base import Candidate, Source, SourceOptions, register

if TYPE_CHECKING:
    from imgharvest.browser.crawl import RenderedReader
    from imgharvest.events import EventSink
    from imgharvest.settings import Settings

# Pages fetched at once: enough to hide latency, few enough to be polite to one site.
PAGE_CONCURRENCY = 8
_PARSING = threading.Lock()  # see _parse_alone
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
NO_IMAGES = "pages: no image links on the pages read (a page built by JavaScript shows none here)"


@register
class Pages(Source):
    """Image links from page URLs given as the query (whitespace- or newline-separated)."""

    name = "pages"
    example = "https://example.com/gallery"

    async def candidates(self, query: str) -> AsyncIterator[Candidate]:
        """Each image on the given pages (and followed pages), once, page by page."""
        async for candidate in self.crawl(self.start_urls(query.split())):
            yield candidate

    def start_urls(self, tokens: Iterable[str]) -> list[str]:
        """The usable http(s) URLs among ``tokens``; others are reported and skipped."""
        urls = []
        for token in tokens:
            if _usable(token.strip()):
                urls.append(token.strip())
            elif token.strip():
                self.events("warning", f"pages: {token.strip()!r} is not an http(s) URL; skipped")
        if not urls:
            raise InputError("query", "give one or more http(s) page URLs")
        return list(dict.fromkeys(urls))

    async def crawl(self, urls: list[str]) -> AsyncIterator[Candidate]:
        """Crawl from ``urls``; raise ``SourceError`` if none of them could be read."""
        seen: set[str] = set()
        async for page in _Crawler(self).pages(urls):
            for ref in page.images:
                if ref.url not in seen:
                    seen.add(ref.url)
                    yield _candidate(ref, page)
        if not seen:
            self.events("warning", NO_IMAGES)


def _candidate(ref: ImageRef, page: Page) -> Candidate:
    return Candidate(
        url=ref.url,
        source=Pages.name,
        page_url=page.url,
        title=ref.alt or page.title,
        width=ref.width,
        height=ref.height,
        fallbacks=ref.fallbacks,
        caption=ref.alt or ref.figcaption,
        chosen=ref.chosen,
        unsized=ref.unsized,
    )


class _Crawler:
    """Breadth-first over pages: depth levels, a page budget, robots.txt and same-site links."""

    def __init__(self, source: Pages) -> None:
        self.http = source.http
        self.events = source.events
        self.options = source.options
        self.user_agent = source.settings.bot_user_agent
        self.robots = (
            RobotsCache(self.http, self.user_agent) if self.options.respect_robots else None
        )
        self.budget = self.options.max_pages
        self.per_page = source.settings.max_links_per_page
        self.renderer = _renderer(source) if self.options.render else None
        self.seen: set[str] = set()
        self.sites: set[str] = set()
        self.img_srcs = False  # also list each page's <img src> as the original crawler did

    async def pages(self, starts: list[str]) -> AsyncIterator[Page]:
        """Every page read, level by level down to ``options.depth``."""
        try:
            async for page in self._levels(starts):
                yield page
        finally:
            if self.renderer is not None:
                await self.renderer.close()

    async def _levels(self, starts: list[str]) -> AsyncIterator[Page]:
        self.seen.update(starts)
        self.sites.update(_site(u) for u in starts)
        level, depth = starts, 0
        while level and self.budget > 0:
            found: list[str] = []
            read = 0
            async for page in self._read_level(level):
                read += 1
                if depth == 0:
                    self.sites.add(_site(page.url))
                if depth < self.options.depth:
                    found += self._follow(page.links)
                yield page
            if depth == 0 and read == 0:
                raise SourceError(Pages.name, _none_read(len(starts)))
            level, depth = found, depth + 1

    async def _read_level(self, level: list[str]) -> AsyncIterator[Page]:
        """The pages of one level, a few at a time, in order, within the page budget."""
        index = 0
        while index < len(level) and self.budget > 0:
            batch = level[index : index + min(PAGE_CONCURRENCY, self.budget)]
            index += len(batch)
            for page in await asyncio.gather(*(self._visit(url) for url in batch)):
                if page is not None:
                    yield page

    async def _visit(self, url: str) -> Page | None:
        """Fetch and parse one page; any trouble is an event and ``None``."""
        refusal = await self.robots.refusal(url) if self.robots is not None else None
        if isinstance(refusal, Unreachable):
            self.events("warning", f"pages: {url} could not be fetched ({refusal})")
            return None
        if refusal is not None:
            self.events("warning", f"pages: {url} is {refusal}; skipped")
            return None
        self.budget -= 1
        if self.renderer is not None:
            return await self._render(url)
        try:
            response = await self.http.get(url, headers={"User-Agent": self.user_agent})
        except FetchError as exc:
            self.events("warning", f"pages: {url} could not be fetched ({exc.reason})")
            return None
        if response.status >= 400:
            self.events("warning", f"pages: {url} answered HTTP {response.status}; skipped")
            return None
        if not _is_html(response.headers):
            self.events("info", f"pages: {url} is not an HTML page; skipped")
            return None
        self.seen.add(response.url)
        page = await self._parse(response.text, response.url)
        self.events("info", f"pages: {_links(len(page.images))} on {response.url}")
        return page

    async def _parse(self, html: str, url: str) -> Page:
        """The page's links within ``MAX_LINKS_PER_PAGE``, parsed while the loop goes on."""
        page = await asyncio.to_thread(_parse_alone, html, url, self.per_page, self.img_srcs)
        if page.cut is not None:
            self.events("warning", _cut_short(url, page.cut, self.per_page))
        return page

    async def _render(self, url: str) -> Page | None:
        assert self.renderer is not None
        page = await self.renderer.read(url)
        if page is not None and page.cut is not None:
            self.events("warning", _cut_short(url, page.cut, self.per_page))
        if page is not None:
            self.seen.add(page.url)
            self.events("info", f"pages: {_links(len(page.images))} on {page.url} (rendered)")
        return page

    def _follow(self, links: list[str]) -> list[str]:
        """Links not seen yet on the sites being crawled (never off-site)."""
        fresh = [u for u in links if u not in self.seen and _on_sites(u, self.sites)]
        self.seen.update(fresh)
        return fresh


def _renderer(source: Pages) -> RenderedReader:
    """The browser reader for ``--render`` crawls (a clear error when there is no browser)."""
    from imgharvest.browser.crawl import RenderedReader
    from imgharvest.browser.host import require

    require(source.settings)
    return RenderedReader(source.settings, source.events)


def _parse_alone(html: str, url: str, budget: int, img_srcs: bool) -> Page:
    """``extract_page`` while no other thread of this process parses: a parse is the largest
    use of memory a crawl makes, and CPU-bound, so waiting for one costs no speed."""
    with _PARSING:
        return extract_page(html, url, budget, img_srcs=img_srcs)


def _cut_short(url: str, why: str, per_page: int) -> str:
    return (f"pages: {url} read in part only ({why}; at most {per_page:,} links a page, "
            "MAX_LINKS_PER_PAGE)")  # fmt: skip


def _none_read(count: int) -> str:
    what = "the page" if count == 1 else f"any of the {count} pages"
    return f"could not read {what} (fetch error, HTTP error, not HTML or robots.txt; see events)"


def _site(url: str) -> str:
    """A host without a leading ``www.``: links to it or its subdomains are same-site."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _on_sites(url: str, sites: set[str]) -> bool:
    host = _site(url)
    return any(host == site or host.endswith("." + site) for site in sites)


def _is_html(headers: dict[str, str]) -> bool:
    """Whether the answer is HTML (a missing Content-Type is given the benefit of the doubt)."""
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    media = value.split(";", 1)[0].strip().lower()
    return not media or media in HTML_TYPES


async def crawl_links(
    urls: list[str],
    http: Http,
    settings: Settings,
    events: EventSink,
    options: SourceOptions,
) -> list[Candidate]:
    """Every image link on the given pages (and followed pages), de-duplicated, in crawl order."""
    source = Pages(settings, http, events, options)
    return [c async for c in source.crawl(source.start_urls(urls))]


def page_reader(
    http: Http, settings: Settings, events: EventSink
) -> Callable[[str], Awaitable[Page | None]]:
    """Reads one page by the crawl job's rules (robots.txt, HTML only, guarded fetch), with
    the ``<img src>`` list of the original crawler; the caller keeps its own page budget."""
    crawler = _Crawler(Pages(settings, http, events, SourceOptions()))
    crawler.budget = sys.maxsize
    crawler.img_srcs = True
    return crawler._visit


def page_candidates(page: Page) -> list[Candidate]:
    """The image links of one read page, as candidates."""
    return [_candidate(ref, page) for ref in page.images]


def _links(count: int) -> str:
    return f"{count} image link" if count == 1 else f"{count} image links"


def _usable(url: str) -> bool:
    """An http(s) URL with a host and a port in range (an unclosed ``[`` host is none)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0
