"""``FakeWeb``: one aiohttp server on 127.0.0.1, run in a background thread.

Route modules (``hosts``, ``search``, ``pages``) each expose
``add_routes(app, fw)``; the image host for catalogs lives here.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.fakeweb import catalog as cat

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeWeb:
    """A fake internet on loopback; ``url`` is its base, ``hits`` counts requests by path."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.catalogs: dict[str, list[cat.FakeImage]] = {}
        self.hits: Counter[str] = Counter()
        self.state: dict[str, Any] = {}
        self.url = ""
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._images: dict[str, cat.FakeImage] = {}

    # -- catalogs ---------------------------------------------------------
    def add_catalog(self, query: str, items: list[cat.FakeImage]) -> None:
        """Make fake searches for ``query`` answer with ``items``, in order."""
        self.catalogs[query] = items
        for item in items:
            self._images[item.id] = item

    def catalog(self, query: str) -> list[cat.FakeImage]:
        """The catalog for a query; unknown queries get 60 good images."""
        if query not in self.catalogs:
            base = 1_000_000 + (abs(hash(query)) % 1000) * 1000
            self.add_catalog(query, cat.good(60, start=base, prefix=f"q{base}_"))
        return self.catalogs[query]

    def image_url(self, item: cat.FakeImage) -> str:
        """Absolute URL of a catalog image."""
        return f"{self.url}{item.path}"

    # -- lifecycle --------------------------------------------------------
    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024**2)
        app.router.add_get("/img/{name}", self._image)
        from tests.fakeweb import google, hosts, pages, render, search

        for module in (hosts, search, pages, render, google):
            module.add_routes(app, self)
        return app

    def start(self) -> FakeWeb:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._runner is not None:
            fut = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            fut.result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> FakeWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- handlers ---------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.hits[request.path] += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        return await handler(request)

    async def _image(self, request: web.Request) -> web.StreamResponse:
        image_id = request.match_info["name"].rsplit(".", 1)[0]
        item = self._images.get(image_id)
        if item is None or item.kind == "404":
            raise web.HTTPNotFound()
        if item.kind == "flaky" and self.hits[request.path] <= 2:
            raise web.HTTPServiceUnavailable()
        if item.kind == "slow":
            await asyncio.sleep(cat.SLOW_SECONDS)
        return web.Response(body=item.body(), content_type="image/jpeg")
