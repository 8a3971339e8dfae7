"""What search sources share: paging with de-duplication, block/layout checks, field parsing."""

from __future__ import annotations

import abc
import re
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import aclosing
from dataclasses import replace
from typing import Any, ClassVar

from selectolax.lexbor import LexborHTMLParser

from imgharvest.errors import FetchError, LayoutChanged, SourceBlocked, SourceError
from imgharvest.net.http import HttpResponse
from imgharvest.sources.base import Candidate, Source
from imgharvest.sources.readahead import read_ahead

# Statuses that mean "the source refuses us" rather than "the source is broken".
BLOCK_STATUSES = frozenset({401, 402, 403, 429})
CAPTCHA_MARKERS = (
    "captcha",
    "_cf_chl_opt",
    "jschl-answer",
    "cf-mitigated",
    "unusual traffic",
    "are you a robot",
    "are you human",
)
# Bing writes "W x H" or "W\u00d7H" (multiplication sign).
_SIZE = re.compile(r"(\d[\d,.]*)\s*[x\u00d7]\s*(\d[\d,.]*)", re.IGNORECASE)


class PagedSource(Source):
    """A source read page by page: ``pages`` yields each page's candidates in order.

    ``candidates`` drops URLs already seen, reports each page as an event and
    ends when a page adds nothing new (engines repeat themselves past the end)
    or ``options.max_pages`` is reached.
    """

    @abc.abstractmethod
    def pages(self, query: str) -> AsyncGenerator[list[Candidate], None]:
        """Yield the candidates of each page, raising ``SourceError`` when blocked or changed."""

    async def candidates(self, query: str) -> AsyncIterator[Candidate]:
        """Every distinct candidate of every page, in order."""
        seen: set[str] = set()
        # the next page is on its way while this one's images download
        async with aclosing(read_ahead(self.pages(query), self.options.max_pages)) as pages:
            number = rank = 0
            async for batch in pages:
                number += 1
                fresh = unseen(batch, seen)
                self.events("info", f"{self.name}: page {number}: {len(fresh)} candidates")
                for candidate in fresh:
                    rank += 1
                    yield ranked(candidate, rank)
                if (batch and not fresh) or number >= self.options.max_pages:
                    return

    async def fetch(self, url: str, page: int, **kwargs: Any) -> HttpResponse:
        """GET through ``self.http``; a request that got no answer becomes a ``SourceError``."""
        try:
            response = await self.http.get(url, **kwargs)
        except FetchError as exc:
            raise SourceError(self.name, f"page {page}: {exc}") from exc
        check_status(self.name, response, page)
        return response

    async def fetch_json(self, url: str, page: int, **kwargs: Any) -> dict[str, Any]:
        """GET a JSON object; anything else is a block page or a changed layout."""
        response = await self.fetch(url, page, **kwargs)
        return json_object(self.name, response, page)

    def base_url(self, setting: str) -> str:
        """The configured base URL of this source, without a trailing slash."""
        return str(getattr(self.settings, setting)).rstrip("/")


class NumberedSource(PagedSource):
    """A JSON API paged by number: page ``n`` is ``request(query, n)``, items in ``items_key``."""

    items_key: ClassVar[str]
    max_page: ClassVar[int] = 1000

    async def pages(self, query: str) -> AsyncGenerator[list[Candidate], None]:
        """Pages 1.. until one is empty or ``is_last`` says so."""
        for page in range(1, self.max_page + 1):
            data = await self.request(query, page)
            batch = self.read_items(data, page)
            yield batch
            if not batch or self.is_last(data, page):
                return

    def read_items(self, data: dict[str, Any], page: int) -> list[Candidate]:
        """The candidates of one answer; items none of which parse mean the layout changed."""
        items = require_list(self.name, data, self.items_key, page)
        batch = [c for c in map(self.parse_item, items) if c is not None]
        nonempty_parse(self.name, page, items, batch)
        return batch

    @abc.abstractmethod
    async def request(self, query: str, page: int) -> dict[str, Any]:
        """The JSON answer for one page (checked for blocks)."""

    @abc.abstractmethod
    def is_last(self, data: dict[str, Any], page: int) -> bool:
        """Whether ``page`` was the last one."""

    @abc.abstractmethod
    def parse_item(self, item: Any) -> Candidate | None:
        """One result as a candidate, or None when it names no usable full-size URL."""


def ranked(candidate: Candidate, rank: int) -> Candidate:
    """``candidate`` with its 1-based position in the source's answer (unless it has one)."""
    return candidate if candidate.rank is not None else replace(candidate, rank=rank)


def unseen(batch: Iterable[Candidate], seen: set[str]) -> list[Candidate]:
    """The candidates whose URL is not in ``seen`` (which is updated), in order."""
    fresh = []
    for candidate in batch:
        if candidate.url not in seen:
            seen.add(candidate.url)
            fresh.append(candidate)
    return fresh


def check_status(name: str, response: HttpResponse, page: int) -> None:
    """Raise for an HTTP status that ends the source: blocked (403/429…) or failing."""
    if response.status in BLOCK_STATUSES:
        raise SourceBlocked(name, f"HTTP {response.status} on page {page}, blocked or throttled")
    if response.status >= 400:
        raise SourceError(name, f"HTTP {response.status} on page {page}")


def looks_like_captcha(text: str) -> bool:
    """Whether a body reads like a captcha or bot challenge page."""
    lowered = text[:200_000].lower()
    return any(marker in lowered for marker in CAPTCHA_MARKERS)


def unparsed(name: str, page: int, text: str) -> SourceError:
    """The error for a non-empty answer we could not read: a captcha page or a layout change."""
    if looks_like_captcha(text):
        return SourceBlocked(name, f"captcha or bot challenge on page {page}")
    return LayoutChanged(name, f"no results parsed from page {page}, layout changed?")


def json_object(name: str, response: HttpResponse, page: int) -> dict[str, Any]:
    """The body as a JSON object, or the matching error."""
    try:
        data = response.json()
    except ValueError:
        raise unparsed(name, page, response.text) from None
    if not isinstance(data, dict):
        raise LayoutChanged(name, f"page {page} is not a JSON object, layout changed?")
    return data


def require_list(name: str, data: dict[str, Any], key: str, page: int) -> list[Any]:
    """``data[key]`` when it is a list; otherwise the answer changed shape."""
    value = data.get(key)
    if not isinstance(value, list):
        raise LayoutChanged(name, f"page {page} has no {key!r} list, layout changed?")
    return value


def nonempty_parse(name: str, page: int, items: list[Any], batch: list[Candidate]) -> None:
    """Fail loudly when a page listed items but none could be read."""
    if items and not batch:
        raise LayoutChanged(name, f"no results parsed from page {page}, layout changed?")


def to_int(value: object) -> int | None:
    """An int from an int, float or numeric string (APIs mix them); otherwise None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def text_or_none(value: object) -> str | None:
    """A stripped non-empty string, or None."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def http_url(value: object) -> str | None:
    """An absolute http(s) URL (scheme-relative ones get https), or None."""
    text = text_or_none(value)
    if text is not None and text.startswith("//"):
        text = "https:" + text
    return text if text is not None and text.startswith(("http://", "https://")) else None


def parse_size(text: str) -> tuple[int | None, int | None]:
    """Width and height from text like ``"1200 x 800 · jpeg"`` or ``"1920\u00d71080"``."""
    match = _SIZE.search(text)
    if not match:
        return None, None
    width, height = (to_int(re.sub(r"[,.]", "", part)) for part in match.groups())
    return width, height


def strip_html(value: object) -> str | None:
    """Plain text of an HTML snippet (tags dropped, entities decoded, spaces collapsed)."""
    text = text_or_none(value)
    if text is None:
        return None
    if "<" in text or "&" in text:
        text = LexborHTMLParser(text).text(separator="")
    return " ".join(text.split()) or None
