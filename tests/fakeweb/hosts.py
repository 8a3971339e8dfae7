"""Fake web routes: hostile image hosts under ``/hostile/...`` (every kind of trouble).

Counters live in ``fw.state`` under a ``key`` query parameter, so tests sharing
the session-wide fake web stay independent. Endless answers are bounded (they
stop by themselves long after any client timeout).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakeweb import images

if TYPE_CHECKING:
    from tests.fakeweb.server import FakeWeb

TRICKLE_SECONDS = 60.0
ENDLESS_BYTES = 256 * 1024 * 1024
STALL_SECONDS = 30.0


def good_image(seed: int = 1) -> bytes:
    """The bytes the ``/hostile/good/...`` route serves for ``seed``."""
    return images.make_image(seed, 64, 48)


def _seed(request: web.Request) -> int:
    return int(request.query.get("seed", "1"))


def _count(fw: FakeWeb, request: web.Request, name: str) -> int:
    """Bump and return this route's counter for the request's ``key``."""
    slot = f"{name}:{request.query.get('key', '')}"
    fw.state[slot] = fw.state.get(slot, 0) + 1
    return int(fw.state[slot])


def _image(request: web.Request) -> web.Response:
    return web.Response(body=good_image(_seed(request)), content_type="image/jpeg")


async def _stream(
    request: web.Request, chunk: bytes, pause: float, limit: int
) -> web.StreamResponse:
    """Send ``chunk`` every ``pause`` seconds, ``limit`` times, or until the client leaves."""
    resp = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
    await resp.prepare(request)
    try:
        for _ in range(limit):
            await resp.write(chunk)
            await asyncio.sleep(pause)
    except ConnectionError:
        pass
    return resp


def add_routes(app: web.Application, fw: FakeWeb) -> None:
    """Register the hostile-host routes."""

    async def good(request: web.Request) -> web.Response:
        return _image(request)

    async def missing(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    async def trickle(request: web.Request) -> web.StreamResponse:
        return await _stream(request, b"\xff", 0.5, int(TRICKLE_SECONDS / 0.5))

    async def endless(request: web.Request) -> web.StreamResponse:
        chunk = b"\0" * 65536
        return await _stream(request, chunk, 0, ENDLESS_BYTES // len(chunk))

    async def stall(request: web.Request) -> web.Response:
        # Give up once the client has left, so shutting the fake web down stays quick.
        for _ in range(int(STALL_SECONDS / 0.25)):
            if request.transport is None or request.transport.is_closing():
                break
            await asyncio.sleep(0.25)
        return _image(request)

    async def big(request: web.Request) -> web.Response:
        size = int(request.query.get("bytes", str(2 * 1024 * 1024)))
        return web.Response(body=b"\0" * size, content_type="image/jpeg")

    async def bomb(request: web.Request) -> web.Response:
        # Building the bomb takes seconds; the other routes keep answering meanwhile.
        body = await asyncio.to_thread(images.bomb_png)
        return web.Response(body=body, content_type="image/png")

    async def loop(request: web.Request) -> web.Response:
        other = 1 - int(request.match_info["n"])
        raise web.HTTPFound(f"/hostile/loop/{other}?{request.query_string}")

    async def chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n <= 0:
            return _image(request)
        raise web.HTTPFound(f"/hostile/chain/{n - 1}?{request.query_string}")

    async def redirect(request: web.Request) -> web.Response:
        status = int(request.query.get("status", "302"))
        return web.Response(status=status, headers={"Location": request.query["to"]})

    async def ratelimit(request: web.Request) -> web.Response:
        if _count(fw, request, "ratelimit") <= int(request.query.get("times", "1")):
            after = request.query.get("after", "1")
            raise web.HTTPTooManyRequests(headers={"Retry-After": after})
        return _image(request)

    async def flaky(request: web.Request) -> web.Response:
        if _count(fw, request, "flaky") <= int(request.query.get("fails", "2")):
            raise web.HTTPServiceUnavailable()
        return _image(request)

    async def echo(request: web.Request) -> web.Response:
        return web.json_response(dict(request.headers))

    routes = {
        "/hostile/good/{name}": good,
        "/hostile/missing/{name}": missing,
        "/hostile/trickle": trickle,
        "/hostile/endless": endless,
        "/hostile/stall": stall,
        "/hostile/big": big,
        "/hostile/bomb.png": bomb,
        "/hostile/loop/{n}": loop,
        "/hostile/chain/{n}": chain,
        "/hostile/redirect": redirect,
        "/hostile/ratelimit": ratelimit,
        "/hostile/flaky": flaky,
        "/hostile/echo": echo,
    }
    for path, handler in routes.items():
        app.router.add_get(path, handler)
