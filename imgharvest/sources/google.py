"""Google Images: the no-JavaScript ``wml/search`` route, then the Images page in Chromium.

Captcha (``/sorry/``, reCAPTCHA) and the "enable JavaScript" wall are blocks
(``SourceBlocked``), never an empty result.
"""

from __future__ import annotations

import random
from collections.abc import AsyncGenerator

from imgharvest.errors import FetchError, LayoutChanged, SourceBlocked, SourceError
from imgharvest.net.http import HttpResponse
from imgharvest.sources.base import Candidate, register
from imgharvest.sources.common import PagedSource, check_status
from imgharvest.sources.google_answers import check_block, parse_wml, says_no_results, unreadable
from imgharvest.sources.google_images import images_page

PAGE_SIZE = 10
MAX_PAGES = 50
# The WML endpoint answers old phones only; these are the agents known to work.
OLD_PHONES = (
    "Nokia6230/2.0 (05.50) Profile/MIDP-2.0 Configuration/CLDC-1.1",
    "Nokia6300/2.0 (05.00) Profile/MIDP-2.0 Configuration/CLDC-1.1",
    "Nokia5310XpressMusic/2.0 (09.42) Profile/MIDP-2.1 Configuration/CLDC-1.1",
    "Nokia6120c/3.83; Profile/MIDP-2.0 Configuration/CLDC-1.1",
    "NokiaN73-1/3.0638.0.0.1 Series60/3.0 Profile/MIDP-2.0 Configuration/CLDC-1.1",
    "Nokia2700c-2/2.0 (07.80) Profile/MIDP-2.1 Configuration/CLDC-1.1",
)


@register
class Google(PagedSource):
    """``wml/search`` (10 results a page); falls back to Chromium when that route is closed."""

    name = "google"
    example = "red fox"
    browser_fallback = True

    async def pages(self, query: str) -> AsyncGenerator[list[Candidate], None]:
        """WML pages; if the first one is blocked or unreadable, the Images page in Chromium."""
        produced = False
        try:
            async for batch in self.wml_pages(query):
                produced = True
                yield batch
        except (SourceBlocked, LayoutChanged) as exc:
            if produced:
                raise
            yield await self._fallback(query, exc)

    async def wml_pages(self, query: str) -> AsyncGenerator[list[Candidate], None]:
        """Every page of the no-JavaScript route until one has no results."""
        url = self.base_url("google_url") + "/wml/search"
        headers = {"User-Agent": random.choice(OLD_PHONES), "Accept": "*/*",
                   "Cookie": "CONSENT=YES+"}  # fmt: skip
        for page in range(1, MAX_PAGES + 1):
            response = await self._get(url, page, self._params(query, page), headers)
            batch = parse_wml(response.text)
            if not batch:
                if page == 1 and not says_no_results(response.text):
                    raise unreadable(self.name, page, response.text)
                return
            yield batch

    def _params(self, query: str, page: int) -> dict[str, str | int]:
        params: dict[str, str | int] = {
            "q": query, "sca_esv": "1", "hl": "en", "ie": "utf8", "oe": "utf8", "tbm": "isch",
        }  # fmt: skip
        if page > 1:
            params["start"] = (page - 1) * PAGE_SIZE
        if self.options.safe_search:
            params["safe"] = "active"
        return params

    async def _get(
        self, url: str, page: int, params: dict[str, str | int], headers: dict[str, str]
    ) -> HttpResponse:
        try:
            response = await self.http.get(url, params=params, headers=headers)
        except FetchError as exc:
            raise SourceError(self.name, f"page {page}: {exc}") from exc
        check_block(self.name, response, page)
        check_status(self.name, response, page)
        return response

    async def _fallback(self, query: str, exc: SourceError) -> list[Candidate]:
        from imgharvest.browser import unavailable

        why = unavailable(self.settings)
        if why is not None:
            raise type(exc)(self.name, f"{exc.message}; no browser to fall back on: {why}")
        self.events("info", f"{exc}; trying the Images page in Chromium")
        return await images_page(self, query)
