"""The benchmark's image host: the test fake web with a 2,000-image catalog served from memory."""

from __future__ import annotations

import random

from aiohttp import web

from tests.fakeweb import FakeWeb
from tests.fakeweb.catalog import FakeImage

BENCH_QUERY = "bench"


def mixed_catalog(
    total: int = 2000, broken: float = 0.05, truncated: float = 0.03, dups: float = 0.05
) -> list[FakeImage]:
    """``total`` images: 404s, truncated files and duplicates (half exact, half near), shuffled."""
    nbroken, ntrunc, ndup = int(total * broken), int(total * truncated), int(total * dups)
    ngood = total - nbroken - ntrunc - ndup
    base = 500_000
    items = [FakeImage(f"b{i}", base + i) for i in range(ngood)]
    items += [FakeImage(f"b{ngood + i}", base + ngood + i, "404") for i in range(nbroken)]
    k = ngood + nbroken
    items += [FakeImage(f"b{k + i}", base + k + i, "truncated") for i in range(ntrunc)]
    k += ntrunc
    for i in range(ndup):
        kind = "dup_exact" if i % 2 == 0 else "dup_near"
        items.append(FakeImage(f"b{k + i}", base + k + i, kind, of=base + i))
    random.Random(42).shuffle(items)
    return items


def expected_unique(items: list[FakeImage]) -> int:
    """How many distinct, valid pictures a catalog holds (what a perfect tool keeps)."""
    return sum(1 for item in items if item.kind == "good")


class BenchWeb(FakeWeb):
    """The fake web plus ``/bench/<id>.jpg``: catalog bytes made once, so the host costs
    the same tiny CPU for every tool under test (only the 50 ms latency remains)."""

    def __init__(self, items: list[FakeImage], latency: float = 0.05) -> None:
        super().__init__(latency=latency)
        self.items = items
        self.bodies = {i.id: i.body() for i in items if i.kind != "404"}

    def build_app(self) -> web.Application:
        """The fake web's routes plus the in-memory image route."""
        app = super().build_app()
        app.router.add_get("/bench/{name}", self._bench_image)
        return app

    def urls(self) -> list[str]:
        """Every catalog image's URL, in catalog order."""
        return [f"{self.url}/bench/{item.id}.jpg" for item in self.items]

    async def _bench_image(self, request: web.Request) -> web.StreamResponse:
        body = self.bodies.get(request.match_info["name"].rsplit(".", 1)[0])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="image/jpeg")
