"""Google Images: the no-JavaScript ``wml/search`` route, then the Images page in Chromium.

Captcha (``/sorry/``, reCAPTCHA) and the "enable JavaScript" wall are blocks
(``SourceBlocked``), never an empty result.
"""

from __future__ import annotations

import random
from collections.abc import AsyncGenerator
from urllib.parse import parse_qs, unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser

from imgharvest.errors import FetchError, LayoutChanged, SourceBlocked, SourceError
from imgharvest.sources.base import Candidate, HttpResponse, register
from imgharvest.sources.common import PagedSource, check_status, http_url, looks_like_captcha
from imgharvest.sources.common import to_int as _int

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
WALL_MARKERS = (
    "/httpservice/retry/enablejs",
    "enable javascript",
    "turn on javascript",
    "trouble accessing google search",
)
NO_RESULTS = ("did not match any", "no results found")
SORRY_BODY_LIMIT = 2000


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
                if page == 1 and not _says_no_results(response.text):
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
            raise type(exc)(self.name, f"{exc.message} (no browser to fall back on: {why})")
        self.events("warning", f"{exc}; trying the Images page in Chromium")
        from imgharvest.sources.google_images import images_page

        return await images_page(self, query)


def check_block(name: str, response: HttpResponse, page: int) -> None:
    """Raise ``SourceBlocked`` for Google's captcha (``/sorry/``, reCAPTCHA) or its JS wall."""
    parts = urlsplit(response.url)
    body = response.text
    if parts.path.startswith("/sorry") or (parts.hostname or "").startswith("sorry."):
        raise SourceBlocked(name, f"captcha (redirected to /sorry/) on page {page}")
    if "/recaptcha/" in body and response.status >= 400:
        raise SourceBlocked(name, f"reCAPTCHA page (HTTP {response.status}) on page {page}")
    if response.status == 302 or (len(body) < SORRY_BODY_LIMIT and "/sorry/" in body):
        raise SourceBlocked(name, f"captcha (/sorry/) on page {page}")
    if "/imgres?" not in body and is_js_wall(body):
        raise SourceBlocked(name, f"answered with an 'enable JavaScript' page on page {page}")


def is_js_wall(text: str) -> bool:
    """Whether a page is Google's "enable JavaScript" wall."""
    lowered = text[:200_000].lower()
    return any(marker in lowered for marker in WALL_MARKERS)


def unreadable(name: str, page: int, text: str) -> SourceError:
    """The error for a page with no results we could read: a block, or a changed layout."""
    if is_js_wall(text):
        return SourceBlocked(name, f"answered with an 'enable JavaScript' page on page {page}")
    if looks_like_captcha(text):
        return SourceBlocked(name, f"captcha or bot challenge on page {page}")
    return LayoutChanged(name, f"no results parsed from page {page}, layout changed?")


def _says_no_results(text: str) -> bool:
    lowered = text[:200_000].lower()
    return any(marker in lowered for marker in NO_RESULTS)


def strip_xml_prolog(text: str) -> str:
    """The WML answer without its ``<?xml ...?>`` prefix (everything up to the first ``?>``)."""
    if text.lstrip().startswith("<?xml") and "?>" in text:
        return text.split("?>", 1)[1]
    return text


def parse_wml(text: str) -> list[Candidate]:
    """Every ``/imgres?imgurl=...`` link of a WML page as a full-size candidate."""
    tree = LexborHTMLParser(strip_xml_prolog(text))
    found = (imgres(a.attributes.get("href") or "") for a in tree.css("a[href]"))
    return [candidate for candidate in found if candidate is not None]


def imgres(href: str) -> Candidate | None:
    """One ``/imgres`` link: ``imgurl`` the image, ``imgrefurl`` its page, ``w``/``h`` its size."""
    if "/imgres?" not in href:
        return None
    query = parse_qs(urlsplit(href).query)
    url = http_url(query.get("imgurl", [""])[0])
    if url is None or is_thumbnail(url):
        return None
    page = http_url(query.get("imgrefurl", [""])[0])
    return Candidate(
        url=url, source="google", page_url=page, title=title_of(url, page),
        width=_int(query.get("w", [""])[0]), height=_int(query.get("h", [""])[0]),
    )  # fmt: skip


def is_thumbnail(url: str) -> bool:
    """Google's own thumbnails (``encrypted-tbn*.gstatic.com``, ``?q=tbn:``): never delivered."""
    host = (urlsplit(url).hostname or "").lower()
    return host.endswith("gstatic.com") or "q=tbn:" in url or "q\\u003dtbn:" in url


def title_of(url: str, page: str | None) -> str | None:
    """No title comes with a result: the file's name, else the page's host."""
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]).strip()
    return name or (urlsplit(page).hostname if page else None)
