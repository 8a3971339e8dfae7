"""Bing Images via ``/images/async`` HTML fragments: ``a.iusc`` ``m`` JSON → full-size ``murl``."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from imgharvest.sources.base import Candidate, register
from imgharvest.sources.common import (
    PagedSource,
    http_url,
    parse_size,
    strip_html,
    to_int,
    unparsed,
)

PAGE_SIZE = 35
# Bing repeats itself past about 1000 results.
MAX_OFFSET = 1000


@register
class Bing(PagedSource):
    """Scrapes the HTML fragment endpoint the Bing web page itself pages through."""

    name = "bing"
    example = "red fox"

    async def pages(self, query: str) -> AsyncGenerator[list[Candidate], None]:
        """One page per 35 results, until an empty body or the offset cap."""
        url = self.base_url("bing_url") + "/images/async"
        headers = {"User-Agent": self.settings.user_agent, "Accept-Language": "en-US,en;q=0.9"}
        for page, first in enumerate(range(1, MAX_OFFSET + 1, PAGE_SIZE), start=1):
            params = self._params(query, first)
            response = await self.fetch(url, page, params=params, headers=headers)
            if not response.text.strip():
                return
            batch = parse_results(response.text)
            if not batch:
                raise unparsed(self.name, page, response.text)
            yield batch

    def _params(self, query: str, first: int) -> dict[str, str | int]:
        adult = "moderate" if self.options.safe_search else "off"
        return {"q": query, "first": first, "count": PAGE_SIZE, "async": 1, "adlt": adult}


def parse_results(html: str) -> list[Candidate]:
    """Every result of a Bing fragment whose ``m`` JSON names a full-size image."""
    tree = LexborHTMLParser(html)
    found = (parse_anchor(anchor) for anchor in tree.css("a.iusc"))
    return [candidate for candidate in found if candidate is not None]


def parse_anchor(anchor: LexborNode) -> Candidate | None:
    """One result: ``murl`` (never ``turl``) plus page, title and the size shown beside it."""
    meta = _meta(anchor.attributes.get("m"))
    murl = http_url(meta.get("murl"))
    if murl is None:
        return None
    width, height = _size(anchor)
    return Candidate(
        url=murl,
        source="bing",
        page_url=http_url(meta.get("purl")),
        title=strip_html(meta.get("t")),
        width=width,
        height=height,
        thumbnail_url=http_url(meta.get("turl")),
        caption=strip_html(meta.get("desc")),
    )


def _meta(raw: str | None) -> dict[str, Any]:
    try:
        meta = json.loads(raw or "")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _size(anchor: LexborNode) -> tuple[int | None, int | None]:
    """From ``span.nowrap`` next to the anchor, else from the anchor's ``expw``/``exph``."""
    box = anchor.parent
    label = box.css_first("span.nowrap") if box is not None else None
    if label is not None:
        width, height = parse_size(label.text())
        if width and height:
            return width, height
    query = parse_qs(urlsplit(anchor.attributes.get("href") or "").query)
    return to_int(query.get("expw", [""])[0]), to_int(query.get("exph", [""])[0])
