"""A slow page set for the original crawler API: a hub page whose linked pages wait on a gate.

``/hub/<name>/`` links to ``children`` pages and shows two images (real JPEGs);
each ``/hub/<name>/child/<n>`` shows two images of its own but
answers only once the test opens the hub's gate, so "while running" can be
observed without timing guesses.
"""

from __future__ import annotations

import asyncio
import html
import threading
import zlib
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakeweb import images

GATE_TIMEOUT = 60.0
_HUBS: dict[str, Hub] = {}


@dataclass
class Hub:
    """One gated page set."""

    name: str
    children: int
    origin: str
    gate: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        """The hub page (the one URL a client gives)."""
        return f"{self.origin}/hub/{self.name}/"

    def child(self, n: int) -> str:
        """The ``n``-th linked page."""
        return f"{self.origin}/hub/{self.name}/child/{n}"

    def image_links(self) -> list[str]:
        """Every image link of the set: the hub's, then each child's."""
        own = [f"{self.origin}/hub/{self.name}/img/hub-{i}.jpg" for i in range(2)]
        kids = [self._child_image(n, i) for n in range(self.children) for i in range(2)]
        return own + kids

    def _child_image(self, n: int, i: int) -> str:
        return f"{self.origin}/hub/{self.name}/img/child-{n}-{i}.jpg"

    def release(self) -> None:
        """Let the linked pages answer."""
        self.gate.set()


def make_hub(origin: str, name: str, children: int) -> Hub:
    """Register a page set served by the fake web at ``origin``."""
    hub = _HUBS[name] = Hub(name, children, origin)
    return hub


def _page(title: str, links: list[str], images: list[str]) -> str:
    anchors = "".join(f'<a href="{html.escape(u)}">link</a>' for u in links)
    imgs = "".join(f'<img src="{html.escape(u)}" alt="">' for u in images)
    return f"<!doctype html><title>{html.escape(title)}</title><body>{anchors}{imgs}</body>"


def add_routes(app: web.Application) -> None:
    """``/hub/<name>/`` and its gated ``child/<n>`` pages."""

    async def index(request: web.Request) -> web.Response:
        hub = _HUBS.get(request.match_info["name"])
        if hub is None:
            raise web.HTTPNotFound()
        links = [hub.child(n) for n in range(hub.children)]
        body = _page(f"hub {hub.name}", [*links, "mailto:x@example.org"], hub.image_links()[:2])
        return web.Response(text=body, content_type="text/html")

    async def child(request: web.Request) -> web.Response:
        hub = _HUBS.get(request.match_info["name"])
        n = int(request.match_info["n"])
        if hub is None or not 0 <= n < hub.children:
            raise web.HTTPNotFound()
        for _ in range(int(GATE_TIMEOUT / 0.05)):
            if hub.gate.is_set():
                break
            await asyncio.sleep(0.05)
        images = [hub._child_image(n, i) for i in range(2)]
        return web.Response(text=_page(f"child {n}", [hub.url], images), content_type="text/html")

    async def picture(request: web.Request) -> web.Response:
        seed = zlib.crc32(request.path.encode()) % 1_000_000
        return web.Response(body=images.make_image(seed, 320, 240), content_type="image/jpeg")

    app.router.add_get("/hub/{name}/", index)
    app.router.add_get("/hub/{name}/img/{file}", picture)
    app.router.add_get(r"/hub/{name}/child/{n:\d+}", child)
