"""The original crawler's one-hop walk over real HTTP: links followed once, 5 pages at a time,
robots.txt, the page budget and the network guard as for crawl jobs."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from imgharvest.errors import JobError
from imgharvest.events import EventList
from imgharvest.pipeline.hop import HOP_CONCURRENCY, OneHop
from imgharvest.pipeline.listing import Link
from imgharvest.sources.base import Candidate
from tests.fakeweb import FakeWeb
from tests.fakeweb.hub import make_hub


def image(name: str, fakeweb: FakeWeb, origin: str | None = None) -> str:
    return f"{origin or fakeweb.url}/img/crawl-{name}.jpg"


def walker(
    settings: Any, listed: list[Link] | None = None, **kw: Any
) -> tuple[OneHop, list[Candidate], EventList]:
    found: list[Candidate] = []
    events = EventList()

    def on_links(fresh: list[Candidate], links: list[Link]) -> None:
        found.extend(fresh)
        (listed if listed is not None else []).extend(links)

    return OneHop(settings, events, on_links, **kw), found, events


async def test_every_link_is_followed_once_including_other_sites(
    settings: Any, fakeweb: FakeWeb
) -> None:
    walk, found, events = walker(settings)
    state = await walk.run([f"{fakeweb.url}/site/crawl/index.html"])
    other = f"http://localhost:{fakeweb.port}"
    assert sorted(c.url for c in found) == sorted([
        image("0", fakeweb), image("linked", fakeweb), image("1a", fakeweb),
        image("1b", fakeweb), image("offsite", fakeweb, other),
    ])  # fmt: skip
    assert (state.read, state.active) == (4, 0)  # index, p1, p1b, offsite; p2 is two hops away
    warnings = "\n".join(events.messages("warning"))
    assert "private/secret.html is disallowed by robots.txt" in warnings
    assert "botonly/page.html is disallowed by robots.txt" in warnings


async def test_links_name_every_copy_and_every_img_src_the_original_listed(
    settings: Any, fakeweb: FakeWeb
) -> None:
    links: list[Link] = []
    walk, found, _ = walker(settings, links)
    await walk.run([f"{fakeweb.url}/site/pg/gallery.html"])
    pg = f"{fakeweb.url}/img/pg/"
    assert [c.url for c in found] == [pg + "picture-1200.jpg", pg + "plain-800.jpg",
                                      pg + "later-900.jpg"]  # fmt: skip
    assert [(link.url.removeprefix(pg), link.copy_of.removeprefix(pg)) for link in links] == [
        ("picture-1200.jpg", ""), ("picture-600.jpg", "picture-1200.jpg"),
        ("picture-fallback.jpg", "picture-1200.jpg"), ("plain-800.jpg", ""),
        ("later-900.jpg", ""), ("ui/blank.gif", ""), ("icon-16.png", ""),
    ]  # fmt: skip


async def test_the_page_budget_caps_each_given_page(settings: Any, fakeweb: FakeWeb) -> None:
    walk, _, _ = walker(settings, max_pages=3)
    state = await walk.run([f"{fakeweb.url}/site/crawl/index.html"])
    assert state.read <= 3


async def test_the_guard_refuses_the_page(make_settings: Any, fakeweb: FakeWeb) -> None:
    walk, found, _ = walker(make_settings(allowed_networks=[]))
    before = fakeweb.hits["/site/crawl/index.html"] + fakeweb.hits["/robots.txt"]
    with pytest.raises(JobError, match="could not read any"):
        await walk.run([f"{fakeweb.url}/site/crawl/index.html"])
    assert found == []
    assert fakeweb.hits["/site/crawl/index.html"] + fakeweb.hits["/robots.txt"] == before


async def test_five_pages_are_read_at_once_and_links_arrive_page_by_page(
    settings: Any, fakeweb: FakeWeb
) -> None:
    site = make_hub(fakeweb.url, f"hop-{uuid.uuid4().hex[:8]}", children=8)
    walk, found, _ = walker(settings)
    task = asyncio.create_task(walk.run([site.url]))
    for _ in range(400):
        if walk.state.active == HOP_CONCURRENCY:
            break
        await asyncio.sleep(0.025)
    await asyncio.sleep(0.3)  # still 5, never more, while the linked pages hang
    assert (walk.state.read, walk.state.active) == (1, 5)
    assert [c.url for c in found] == site.image_links()[:2]
    site.release()
    state = await asyncio.wait_for(task, 30)
    assert (state.read, state.active) == (9, 0)
    assert sorted(c.url for c in found) == sorted(site.image_links())
