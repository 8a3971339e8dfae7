"""Security headers on every answer; a Content-Security-Policy on every HTML page.

Pages load only their own scripts and styles (no inline script; inline
``style`` attributes are allowed, they cannot run code). The API docs page
(Swagger UI) starts from one inline script: its policy allows exactly that
script by hash, computed from the page as sent. ReDoc's search runs in a worker
it makes from a ``blob:`` URL, which ``/redoc`` alone may start.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASE = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_CSP = f"{BASE}; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
# Pages made by FastAPI itself, which start from an inline script.
HASHED_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
BLOB_WORKERS = frozenset({"/redoc"})
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_EXTERNAL = re.compile(rb"<(?:script|link)\b[^>]*\b(?:src|href)=[\"'](https://[^/\"']+)", re.I)


def hashed_csp(html: bytes, blob_workers: bool = False) -> str:
    """A policy allowing exactly the inline scripts of ``html`` (and inline styles), plus the
    asset hosts the page itself names (none once its assets are served locally); with
    ``blob_workers``, workers started from ``blob:`` URLs."""
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    hosts = sorted({origin.decode() for origin in _EXTERNAL.findall(html)})
    scripts = " ".join(["'self'", *hashes, *hosts])
    assets = " ".join(["'self'", *hosts])
    return (
        f"default-src 'self'; img-src {assets} data:; connect-src 'self'; object-src 'none'; "
        f"base-uri 'none'; form-action 'self'; frame-ancestors 'none'; script-src {scripts}; "
        f"style-src {assets} 'unsafe-inline'" + ("; worker-src blob:" if blob_workers else "")
    )


def _is_html(headers: MutableHeaders) -> bool:
    kind = headers.get("content-type", "")
    return kind.split(";")[0].strip().lower() == "text/html"


class SecurityHeaders:
    """Adds ``ALWAYS`` to every answer and the right CSP to HTML ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") in HASHED_PATHS:
            await self.app(scope, receive, _Hashing(send, scope["path"] in BLOB_WORKERS))
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(ALWAYS)
                if _is_html(headers):
                    headers["Content-Security-Policy"] = PAGE_CSP
            await send(message)

        await self.app(scope, receive, with_headers)


class _Hashing:
    """Holds a docs page back until its body is complete, then sends it with its hashes."""

    def __init__(self, send: Send, blob_workers: bool = False) -> None:
        self.send, self.blob_workers = send, blob_workers
        self.start: Message | None = None
        self.body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.body.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        headers = MutableHeaders(scope=self.start)
        headers.update(ALWAYS)
        page = b"".join(self.body)
        if _is_html(headers):
            headers["Content-Security-Policy"] = hashed_csp(page, self.blob_workers)
        await self.send(self.start)
        await self.send({"type": "http.response.body", "body": page})
