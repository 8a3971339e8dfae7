"""Acceptance 2 and 3 of issue 19: when a page names copies of a picture with no size that
tells them apart (style names), the header probe reads each copy's first bytes over real
HTTP, the larger copy is downloaded, the manifest says why, and a page never costs more
ranged requests than its budget.

The server is a small aiohttp app of this test on loopback: it serves the pages, answers
``Range`` requests with 206 and the asked bytes, and counts ranged and whole requests.
"""

from __future__ import annotations

import io
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from PIL import Image

from imgharvest.events import EventList
from imgharvest.pipeline.fetch import Fetcher
from imgharvest.pipeline.probe import PROBE_BYTES, Prober, dimensions
from imgharvest.pipeline.run import harvest_links
from imgharvest.sources.base import Candidate, SourceOptions
from imgharvest.sources.pages import crawl_links
from tests.fakeweb import FakeWeb

STYLE = "/sites/default/files/styles/{}/public/2024/{}.jpg"
SMALL, LARGE = (320, 200), (1600, 1000)


def jpeg(size: tuple[int, int], seed: int) -> bytes:
    """A noisy JPEG (well over ``PROBE_BYTES`` at 1600 px, so a range cuts it)."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


@dataclass
class Site:
    """What the test server serves and what it was asked."""

    url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)
    ranged: Counter[str] = field(default_factory=Counter)
    whole: Counter[str] = field(default_factory=Counter)

    def pictures(self, name: str, count: int) -> str:
        """A page of ``count`` pictures, each named small copy first, large copy second,
        under style names that say nothing of their size."""
        tags = []
        for n in range(count):
            small, large = STYLE.format("storylist", f"p{n}"), STYLE.format("article_main", f"p{n}")
            self.files[small], self.files[large] = jpeg(SMALL, n), jpeg(LARGE, 100 + n)
            tags.append(f'<img src="{small}" alt="Picture {n}"><img src="{large}" alt="">')
        path = f"/news/{name}.html"
        self.pages[path] = "<!doctype html><title>Story</title>" + "".join(tags)
        return self.url + path


async def serve(request: web.Request, site: Site) -> web.StreamResponse:
    path = request.path
    if path in site.pages:
        return web.Response(text=site.pages[path], content_type="text/html")
    body = site.files.get(path)
    if body is None:
        raise web.HTTPNotFound()
    asked = request.headers.get("Range", "")
    if asked.startswith("bytes=0-"):
        site.ranged[path] += 1
        end = min(len(body), int(asked.removeprefix("bytes=0-")) + 1)
        headers = {"Content-Range": f"bytes 0-{end - 1}/{len(body)}"}
        return web.Response(status=206, body=body[:end], headers=headers, content_type="image/jpeg")
    site.whole[path] += 1
    return web.Response(body=body, content_type="image/jpeg")


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    state = Site()
    app = web.Application()

    async def handler(request: web.Request) -> web.StreamResponse:
        return await serve(request, state)

    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}"
    yield state
    await runner.cleanup()


async def crawl(settings: Any, page: str) -> list[Candidate]:
    async with Fetcher(settings) as http:
        return await crawl_links([page], http, settings, EventList(), SourceOptions())


async def test_the_probe_downloads_the_larger_of_two_unsized_copies(
    site: Site, make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings(probe_budget=8)
    found = await crawl(settings, site.pictures("one", 1))
    small, large = STYLE.format("storylist", "p0"), STYLE.format("article_main", "p0")
    assert [(c.url, c.fallbacks, c.unsized) for c in found] == [
        (site.url + small, (site.url + large,), True)  # the page alone cannot tell
    ]
    result = await harvest_links(found, 1, settings, tmp_path, events=EventList())
    [record] = result.records
    assert (record.final_url, record.info.width, record.info.height) == (site.url + large, *LARGE)
    chosen = "probed 1600x1000, largest of 2 measured copies"
    assert record.manifest_row("images/0001.jpg")["chosen"] == chosen
    assert site.ranged == {small: 1, large: 1}
    assert site.whole == {large: 1}  # the small copy was never downloaded whole


async def test_a_page_never_costs_more_ranged_requests_than_its_budget(
    site: Site, make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings(probe_budget=5)
    found = await crawl(settings, site.pictures("three", 3))
    assert len(found) == 3 and all(c.unsized for c in found)
    result = await harvest_links(found, 3, settings, tmp_path, events=EventList())
    assert sum(site.ranged.values()) == 4  # two pictures of two copies; a third would be 6
    probed = [r for r in result.records if r.candidate.chosen.startswith("probed")]
    assert len(probed) == 2 and {r.info.width for r in probed} == {LARGE[0]}
    [unprobed] = [r for r in result.records if r not in probed]
    assert (unprobed.info.width, unprobed.candidate.chosen) == (SMALL[0], "markup hint")


async def test_no_budget_means_no_ranged_request(
    site: Site, make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings(probe_budget=0)
    found = await crawl(settings, site.pictures("none", 1))
    result = await harvest_links(found, 1, settings, tmp_path, events=EventList())
    assert site.ranged == {} and result.records[0].info.width == SMALL[0]


async def test_a_server_ignoring_the_range_is_read_no_further(
    fakeweb: FakeWeb, make_settings: Any
) -> None:
    """The hostile case: an endless answer to a ranged request costs ``PROBE_BYTES``."""
    async with Fetcher(make_settings()) as http:
        start = time.perf_counter()
        head = await http.head_bytes(f"{fakeweb.url}/hostile/endless", PROBE_BYTES)
        elapsed = time.perf_counter() - start
        missing = await http.head_bytes(f"{fakeweb.url}/hostile/missing/x.jpg", PROBE_BYTES)
    assert head is not None and len(head) == PROBE_BYTES
    assert missing is None
    assert elapsed < 5  # bounded by the read limit, not by the endless body


async def test_copies_that_cannot_be_measured_keep_the_page_order(make_settings: Any) -> None:
    async with Fetcher(make_settings()) as http:
        prober = Prober(http, 8)
        cand = Candidate(
            url="http://127.0.0.1:9/a.jpg", source="pages", page_url="http://127.0.0.1:9/",
            fallbacks=("http://127.0.0.1:9/b.jpg",), unsized=True, chosen="markup hint",
        )  # fmt: skip
        assert await prober.order(cand) == cand
    assert prober.spent == {"http://127.0.0.1:9/": 2}


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "GIF", "WEBP"])
def test_dimensions_come_from_the_first_bytes(kind: str) -> None:
    out = io.BytesIO()
    Image.new("RGB", (1234, 567), "teal").save(out, kind)
    assert dimensions(out.getvalue()[:PROBE_BYTES]) == (1234, 567)


def test_bytes_that_are_not_an_image_have_no_dimensions() -> None:
    assert dimensions(None) is None and dimensions(b"") is None
    assert dimensions(b"<html>not an image</html>") is None
    assert dimensions(jpeg(SMALL, 1)[:20]) is None  # cut before the size is stated
    hostile = random.Random(7).randbytes(PROBE_BYTES)
    assert dimensions(hostile) is None


async def test_a_fallback_copy_says_why_it_was_kept(
    fakeweb: FakeWeb, settings: Any, tmp_path: Path
) -> None:
    good = f"{fakeweb.url}/hostile/good/kept.jpg"
    cand = Candidate(
        url=f"{fakeweb.url}/hostile/missing/large.jpg", source="pages", fallbacks=(good,),
        chosen="stated width",
    )  # fmt: skip
    result = await harvest_links([cand], 1, settings, tmp_path, events=EventList())
    [record] = result.records
    assert (record.final_url, record.candidate.chosen) == (
        good, "copy 2: the larger failed (stated width)"
    )  # fmt: skip
