"""DuckDuckGo Images: a ``vqd`` token from the search page, then ``i.js`` pages via ``next``."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from imgharvest.errors import LayoutChanged, SourceBlocked
from imgharvest.sources.base import Candidate, register
from imgharvest.sources.common import (
    PagedSource,
    http_url,
    json_object,
    looks_like_captcha,
    nonempty_parse,
    require_list,
    strip_html,
    text_or_none,
    to_int,
)

# The token appears in these spellings in the wild (script forms, then the html form's
# hidden input, attributes in either order); tried in this order.
_VQD_PATTERNS = (
    re.compile(r'vqd="([\w-]+)"'),
    re.compile(r"vqd=([\w-]+)&"),
    re.compile(r"vqd='([\w-]+)'"),
    re.compile(r"""<input[^>]*\bname=["']?vqd["']?[^>]*\bvalue=["']?([\w-]+)""", re.I),
    re.compile(r"""<input[^>]*\bvalue=["']?([\w-]+)["']?[^>]*\bname=["']?vqd\b""", re.I),
)
# What DuckDuckGo shows a client it takes for a bot (with HTTP 202 or 418, or even 200).
BOT_MARKERS = ("anomaly-modal", "bots use duckduckgo too", "challenge-form", "anomaly.js")
BOT_STATUSES = frozenset({202, 418})


@register
class DuckDuckGo(PagedSource):
    """The JSON endpoint DuckDuckGo's image tab uses (results come from Bing's index)."""

    name = "duckduckgo"
    example = "lighthouse at night"

    async def pages(self, query: str) -> AsyncGenerator[list[Candidate], None]:
        """Follow ``next`` from the first ``i.js`` page until it is absent."""
        base = self.base_url("duckduckgo_url")
        vqd = await self._vqd(base, query)
        url = base + "/i.js"
        params: dict[str, str | int] | None = self._params(query, vqd)
        headers = {"User-Agent": self.settings.user_agent, "Referer": base + "/"}
        page = 0
        while True:
            page += 1
            data = await self._json(url, page, params, headers)
            results = require_list(self.name, data, "results", page)
            batch = [c for c in map(parse_result, results) if c is not None]
            nonempty_parse(self.name, page, results, batch)
            yield batch
            follow = data.get("next")
            if not isinstance(follow, str) or not follow:
                return
            url, params = with_vqd(urljoin(base + "/", follow), vqd), None

    async def _json(
        self, url: str, page: int, params: dict[str, str | int] | None, headers: dict[str, str]
    ) -> dict[str, Any]:
        response = await self.fetch(url, page, params=params, headers=headers)
        if is_bot_page(response.status, response.text):
            raise SourceBlocked(self.name, f"bot protection page (HTTP {response.status})")
        return json_object(self.name, response, page)

    async def _vqd(self, base: str, query: str) -> str:
        headers = {"User-Agent": self.settings.user_agent}
        response = await self.fetch(base + "/", 1, params={"q": query}, headers=headers)
        if is_bot_page(response.status, response.text):
            raise SourceBlocked(self.name, f"bot protection page (HTTP {response.status})")
        token = extract_vqd(response.text)
        if token:
            return token
        if looks_like_captcha(response.text):
            raise SourceBlocked(self.name, "captcha or bot challenge instead of the search page")
        raise LayoutChanged(self.name, "no vqd token on the search page, layout changed?")

    def _params(self, query: str, vqd: str) -> dict[str, str | int]:
        safe = "1" if self.options.safe_search else "-1"
        return {"l": "us-en", "o": "json", "q": query, "vqd": vqd, "f": ",,,,,", "p": safe}


def is_bot_page(status: int, text: str) -> bool:
    """Whether DuckDuckGo answered with its bot protection instead of the search page."""
    lowered = text[:200_000].lower()
    return status in BOT_STATUSES or any(marker in lowered for marker in BOT_MARKERS)


def with_vqd(url: str, vqd: str) -> str:
    """``url`` carrying the ``vqd`` token (a ``next`` link without it is refused)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(key == "vqd" for key, _ in query):
        return url
    return urlunsplit(parts._replace(query=urlencode([*query, ("vqd", vqd)])))


def extract_vqd(html: str) -> str | None:
    """The ``vqd`` token in any of its spellings, or None."""
    for pattern in _VQD_PATTERNS:
        match = pattern.search(html)
        if match:
            return match.group(1)
    return None


def parse_result(item: Any) -> Candidate | None:
    """One ``i.js`` result: ``image`` is the full-size file, ``thumbnail`` Bing's copy."""
    if not isinstance(item, dict):
        return None
    image = http_url(item.get("image"))
    if image is None:
        return None
    return Candidate(
        url=image,
        source="duckduckgo",
        page_url=text_or_none(item.get("url")),
        title=strip_html(item.get("title")),
        width=to_int(item.get("width")),
        height=to_int(item.get("height")),
        thumbnail_url=text_or_none(item.get("thumbnail")),
    )
