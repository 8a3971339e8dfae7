"""Form protection: CSRF tokens (double-submit cookie + HMAC) and the per-client submit rate limit.

A form token is ``<timestamp>.<salt>.<HMAC(secret, cookie nonce | timestamp | salt)>``:
a page from another site can neither read the token nor set our cookie, so it
cannot forge a submission. The random salt gives every form shown a token of its
own (two tabs opened in one second included): a token keys one submission. JSON
requests are exempt (browsers only send cross-site JSON after a CORS preflight,
which this app never grants).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import HTTPException, Request, Response

from imgharvest.web.client import client_address

CSRF_COOKIE = "imgharvest_csrf"
CSRF_FIELD = "csrf_token"
CSRF_MAX_AGE = 12 * 3600
RATE_WINDOW = 60.0
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_CREATE_LOCK = threading.Lock()


class CsrfError(HTTPException):
    """The form's CSRF token is missing, forged or too old (HTTP 403)."""

    def __init__(self, why: str) -> None:
        super().__init__(
            403,
            f"The form has expired or was not sent by this site ({why}). "
            "Reload the page and submit it again.",
        )


class RateLimited(HTTPException):
    """Too many submissions from one client (HTTP 429 with ``Retry-After``)."""

    def __init__(self, retry_after: int, limit: int) -> None:
        message = (
            f"Too many submissions: at most {limit} per minute. Try again in {retry_after} seconds."
        )
        super().__init__(429, message, headers={"Retry-After": str(retry_after)})


def _sign(secret: str, nonce: str, stamp: str, salt: str) -> str:
    message = f"{nonce}|{stamp}|{salt}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def csrf_nonce(request: Request) -> str:
    """The browser's CSRF cookie value, or a fresh one (``issue_csrf`` sets it)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if _NONCE.fullmatch(current) else secrets.token_urlsafe(24)


def make_csrf_token(secret: str, nonce: str, now: float | None = None) -> str:
    """A form token bound to the cookie ``nonce`` and the current time, unique to this form."""
    stamp, salt = str(int(time.time() if now is None else now)), secrets.token_urlsafe(9)
    return f"{stamp}.{salt}.{_sign(secret, nonce, stamp, salt)}"


def check_csrf_token(secret: str, nonce: str, token: str, now: float | None = None) -> None:
    """Raise ``CsrfError`` unless ``token`` was made for ``nonce`` within ``CSRF_MAX_AGE``."""
    stamp, _, rest = token.partition(".")
    salt, _, mac = rest.partition(".")
    if not nonce or not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or not mac:
        raise CsrfError("no token")
    # bytes: compare_digest raises on a str holding anything but ASCII
    expected = _sign(secret, nonce, stamp, salt).encode()
    if not hmac.compare_digest(mac.encode("utf-8", "replace"), expected):
        raise CsrfError("bad token")
    age = (time.time() if now is None else now) - int(stamp)
    if not -300 <= age <= CSRF_MAX_AGE:
        raise CsrfError("old token")


def set_csrf_cookie(response: Response, nonce: str, secure: bool) -> None:
    """Store the nonce in a cookie scripts cannot read and other sites never send."""
    response.set_cookie(
        CSRF_COOKIE, nonce, max_age=CSRF_MAX_AGE, httponly=True, samesite="strict", secure=secure
    )


class RateLimiter:
    """A sliding-window limit of ``limit`` events per ``window`` seconds per client key."""

    def __init__(
        self, limit: int, window: float = RATE_WINDOW, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Record one event for ``key``; 0 if allowed, else seconds until one would be."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            self._prune(now)
            return 0.0

    def check(self, key: str) -> None:
        """Record one event, or raise ``RateLimited`` (429) when ``key`` is over its limit."""
        wait = self.hit(key)
        if wait > 0:
            raise RateLimited(max(1, int(wait + 0.999)), self.limit)

    def _prune(self, now: float) -> None:
        # Bounded memory: forget clients whose last event left the window.
        if len(self._hits) > 10_000:
            stale = [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]
            for key in stale:
                del self._hits[key]


def client_key(request: Request) -> str:
    """Who a request counts against: the peer, or the client a ``TRUSTED_PROXIES`` peer names."""
    peer = request.client.host if request.client else None
    services = getattr(request.app.state, "services", None)
    proxies = services.settings.proxy_networks if services is not None else []
    return client_address(peer, request.headers, proxies)


def submit_limiter(request: Request, limit: int) -> RateLimiter:
    """The app's one submit limiter (shared by the pages and the API), created on first use."""
    state = request.app.state
    with _CREATE_LOCK:
        limiter: RateLimiter | None = getattr(state, "submit_limiter", None)
        if limiter is None:
            limiter = state.submit_limiter = RateLimiter(limit)
    return limiter
