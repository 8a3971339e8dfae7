"""Cross-site protection of every state-changing request: ``Sec-Fetch-Site`` or ``Origin``.

A browser says where a request comes from; a page on another site cannot
hide it. Requests that say neither (curl, scripts, the crawler's clients)
are not from a browser page and keep working. A pure ASGI middleware, so
every unsafe route, present or future, is covered without opting in.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from imgharvest.web.refusal import refusal

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAME = frozenset({"same-origin", "none"})


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_site(scope: Scope, public_origin: str) -> str | None:
    """Why this request is a cross-site browser request, or None if it is not."""
    headers = Headers(scope=scope)
    site = headers.get("sec-fetch-site")
    if site is not None:
        return None if site.strip().lower() in SAME else f"Sec-Fetch-Site is {site[:40]!r}"
    origin = headers.get("origin")
    if origin is None:
        return None
    own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()
    if origin.strip().lower() in (own, public_origin):
        return None
    return f"Origin {origin[:100]!r} is not this site"


def not_shown_same_origin(scope: Scope, public_origin: str) -> str | None:
    """Why this request does not show that a page of this site sent it (None if it does):
    ``Sec-Fetch-Site: same-origin``, or else an ``Origin`` of this site. Where no token
    proves it, a request that says neither is a script's, not a browser page's."""
    headers = Headers(scope=scope)
    site = headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() != "same-origin":
        return f"Sec-Fetch-Site is {site[:40]!r}"
    if site is None and headers.get("origin") is None:
        return "the request says neither Origin nor Sec-Fetch-Site"
    return cross_site(scope, public_origin)


class SameOrigin:
    """Refuses (403) unsafe methods sent by a browser page of another site."""

    def __init__(self, app: ASGIApp, public_url: str) -> None:
        self.app, self.public_origin = app, origin_of(public_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        why = None
        if scope["type"] == "http" and scope["method"] in UNSAFE:
            why = cross_site(scope, self.public_origin)
        if why is None:
            await self.app(scope, receive, send)
            return
        message = f"cross-site request refused: {why}"
        await refusal(scope, 403, "origin", message)(scope, receive, send)
