"""robots.txt: fetched once per origin, parsed with protego, answered per RFC 9309."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from protego import Protego

from imgharvest.errors import FetchError

if TYPE_CHECKING:
    from imgharvest.net.http import Http

# RFC 9309 §2.5: crawlers may ignore what comes after the first 500 KiB.
MAX_ROBOTS_CHARS = 500 * 1024
ALLOW_ALL = "allow"
DISALLOW_ALL = "disallow"
DISALLOWED = "disallowed by robots.txt"
SERVER_ERROR = "closed: its robots.txt answered a server error (RFC 9309)"


class Unreachable(str):
    """robots.txt could not be fetched at all; the value is the fetch's reason (not a "no")."""


def product_token(user_agent: str) -> str:
    """The product token robots.txt groups match: ``imgharvest/0.1 (+url)`` gives ``imgharvest``."""
    return user_agent.strip().split("/", 1)[0].split()[0] if user_agent.strip() else "*"


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL: the scope of one robots.txt."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def rules_from(status: int, text: str) -> Protego | str:
    """What a robots.txt answer means: parsed rules, or allow/disallow everything.

    RFC 9309 §2.3.1: 4xx is "no robots.txt" (allow all); 5xx means the site is
    unreachable, so a crawler must assume complete disallow.
    """
    if 200 <= status < 300:
        return Protego.parse(text[:MAX_ROBOTS_CHARS])
    return ALLOW_ALL if 400 <= status < 500 else DISALLOW_ALL


class RobotsCache:
    """Answers "may this user agent fetch this URL?", one robots.txt fetch per origin."""

    def __init__(self, http: Http, user_agent: str) -> None:
        self.http = http
        self.user_agent = user_agent
        self.token = product_token(user_agent)
        self._rules: dict[str, asyncio.Future[Protego | str]] = {}

    async def allowed(self, url: str) -> bool:
        """Whether ``url`` may be fetched by our product token."""
        return await self.refusal(url) is None

    async def refusal(self, url: str) -> str | None:
        """Why ``url`` may not be fetched, or None: robots.txt's "no" is told apart from a
        robots.txt that could not be fetched (an ``Unreachable`` holding the fetch's reason)."""
        rules = await self._for(origin(url))
        if isinstance(rules, Unreachable):
            return rules
        if isinstance(rules, str):
            return None if rules == ALLOW_ALL else SERVER_ERROR
        return None if rules.can_fetch(url, self.token) else DISALLOWED

    async def _for(self, site: str) -> Protego | str:
        # One shared fetch per origin, even when several pages ask at the same time.
        if site not in self._rules:
            self._rules[site] = asyncio.ensure_future(self._fetch(site))
        return await self._rules[site]

    async def _fetch(self, site: str) -> Protego | str:
        try:
            response = await self.http.get(
                f"{site}/robots.txt", headers={"User-Agent": self.user_agent}
            )
        except FetchError as exc:
            # Unreachable is treated like a server error (RFC 9309 §2.3.1.4), but reported
            # as what it is: the site could not be reached, robots.txt said nothing.
            return Unreachable(exc.reason)
        return rules_from(response.status, response.text)
