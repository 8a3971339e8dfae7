"""Google's answers read: WML result links, thumbnails told apart, captcha and JS-challenge
blocks."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from selectolax.lexbor import LexborHTMLParser

from imgharvest.errors import LayoutChanged, SourceBlocked, SourceError
from imgharvest.net.http import HttpResponse
from imgharvest.sources.base import Candidate
from imgharvest.sources.common import http_url, looks_like_captcha
from imgharvest.sources.common import to_int as _int

WALL_MARKERS = (
    "/httpservice/retry/enablejs",
    "enable javascript",
    "turn on javascript",
    "trouble accessing google search",
)
NO_RESULTS = ("did not match any", "no results found")
SORRY_BODY_LIMIT = 2000


CHALLENGE = "blocked (JavaScript challenge)"
# The target of the challenge's <noscript> refresh: on a page, the challenge itself.
CHALLENGE_MARKER = "/httpservice/retry/enablejs"


def check_block(name: str, response: HttpResponse, page: int) -> None:
    """Raise ``SourceBlocked`` for Google's captcha (``/sorry/``, reCAPTCHA) or its
    JavaScript challenge (the "enable JavaScript" wall)."""
    parts = urlsplit(response.url)
    body = response.text
    if parts.path.startswith("/sorry") or (parts.hostname or "").startswith("sorry."):
        raise SourceBlocked(name, f"blocked (captcha: redirected to /sorry/, page {page})")
    if "/recaptcha/" in body and response.status >= 400:
        raise SourceBlocked(name, f"blocked (reCAPTCHA page, HTTP {response.status}, page {page})")
    if response.status == 302 or (len(body) < SORRY_BODY_LIMIT and "/sorry/" in body):
        raise SourceBlocked(name, f"blocked (captcha: /sorry/, page {page})")
    if "/imgres?" not in body and is_js_wall(body):
        raise SourceBlocked(name, CHALLENGE)


def is_js_wall(text: str) -> bool:
    """Whether a page is Google's "enable JavaScript" wall."""
    lowered = text[:200_000].lower()
    return any(marker in lowered for marker in WALL_MARKERS)


def is_challenge(text: str) -> bool:
    """Whether a document is Google's JavaScript challenge (strict: its refresh target)."""
    return CHALLENGE_MARKER in text[:200_000]


def unreadable(name: str, page: int, text: str) -> SourceError:
    """The error for a page with no results we could read: a block, or a changed layout."""
    if is_js_wall(text):
        return SourceBlocked(name, CHALLENGE)
    if looks_like_captcha(text):
        return SourceBlocked(name, f"blocked (captcha or bot challenge, page {page})")
    return LayoutChanged(name, f"no results parsed from page {page}, layout changed?")


def says_no_results(text: str) -> bool:
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
