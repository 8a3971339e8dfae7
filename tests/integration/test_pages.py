"""The ``pages`` source over real HTTP against the fake web (acceptance 6): exact references,
redirects, link following with depth and a page cap, robots.txt, failing pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from imgharvest.errors import InputError, SourceError
from imgharvest.events import EventList
from imgharvest.pipeline.fetch import Fetcher
from imgharvest.settings import Settings
from imgharvest.sources.base import REGISTRY, Candidate, SourceOptions
from imgharvest.sources.pages import Pages, crawl_links
from tests.fakeweb import FakeWeb
from tests.fakeweb.pages import EXPECTED, REDIRECT_FROM, REDIRECT_TO, expected

CRAWL_PAGES = (
    "index.html", "p1.html", "p1b.html", "p2.html", "p3.html", "private/secret.html",
    "botonly/page.html", "offsite.html", "missing.html", "data.json",
)  # fmt: skip


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[Fetcher]:
    async with Fetcher(settings) as fetcher:
        yield fetcher


@pytest.fixture
def run(settings: Settings, http: Fetcher) -> Callable[..., Any]:
    """Run the source on a query; returns its candidates and the events it reported."""

    async def go(query: str, **options: Any) -> tuple[list[Candidate], EventList]:
        events = EventList()
        source = Pages(settings, http, events, SourceOptions(**options))
        return [c async for c in source.candidates(query)], events

    return go


def crawl_image(name: str, fakeweb: FakeWeb) -> str:
    return f"{fakeweb.url}/img/crawl-{name}.jpg"


def hits(fakeweb: FakeWeb) -> dict[str, int]:
    return {page: fakeweb.hits[f"/site/crawl/{page}"] for page in CRAWL_PAGES}


def test_registered_as_pages() -> None:
    assert REGISTRY["pages"] is Pages


@pytest.mark.parametrize("fixture", sorted(set(EXPECTED) - {REDIRECT_TO.removeprefix("/site/")}))
async def test_fixture_pages_over_http(fixture: str, run: Any, fakeweb: FakeWeb) -> None:
    page = f"{fakeweb.url}/site/{fixture}"
    found, _ = await run(page)
    assert [c.url for c in found] == [url for _, url in expected(fixture, fakeweb.url)]
    assert {(c.source, c.page_url) for c in found} == {("pages", page)}


async def test_redirected_page_resolves_against_the_final_url(run: Any, fakeweb: FakeWeb) -> None:
    found, _ = await run(fakeweb.url + REDIRECT_FROM)
    fixture = REDIRECT_TO.removeprefix("/site/")
    assert [c.url for c in found] == [url for _, url in expected(fixture, fakeweb.url)]
    assert {c.page_url for c in found} == {fakeweb.url + REDIRECT_TO}


async def test_title_is_the_alt_text_else_the_page_title(run: Any, fakeweb: FakeWeb) -> None:
    found, _ = await run(fakeweb.url + REDIRECT_FROM)
    assert [c.title for c in found] == ["One", "Moved gallery", "Moved gallery"]


async def test_several_pages_in_one_query(run: Any, fakeweb: FakeWeb) -> None:
    pages = ["fixtures/srcset.html", "fixtures/base-absolute.html"]
    found, _ = await run("\n".join(f"  {fakeweb.url}/site/{p}  " for p in pages))
    want = [url for p in pages for _, url in expected(p, fakeweb.url)]
    assert [c.url for c in found] == want


async def test_depth_zero_reads_only_the_given_page(run: Any, fakeweb: FakeWeb) -> None:
    before = hits(fakeweb)
    found, _ = await run(f"{fakeweb.url}/site/crawl/index.html")
    assert [c.url for c in found] == [crawl_image("0", fakeweb), crawl_image("linked", fakeweb)]
    assert {p: hits(fakeweb)[p] - before[p] for p in CRAWL_PAGES}["p1.html"] == 0


async def test_depth_one_follows_same_site_links_only(run: Any, fakeweb: FakeWeb) -> None:
    before = hits(fakeweb)
    found, events = await run(f"{fakeweb.url}/site/crawl/index.html", depth=1)
    assert [c.url for c in found] == [crawl_image(n, fakeweb) for n in ("0", "linked", "1a", "1b")]
    delta = {p: hits(fakeweb)[p] - before[p] for p in CRAWL_PAGES}
    assert delta == {
        "index.html": 1, "p1.html": 1, "p1b.html": 1, "p2.html": 0, "p3.html": 0,
        "private/secret.html": 0, "botonly/page.html": 0, "offsite.html": 0,
        "missing.html": 1, "data.json": 1,
    }  # fmt: skip
    warnings = "\n".join(events.messages("warning"))
    assert "private/secret.html is disallowed by robots.txt" in warnings
    assert "botonly/page.html is disallowed by robots.txt" in warnings
    assert "missing.html answered HTTP 404" in warnings
    assert any("data.json is not an HTML page" in m for m in events.messages("info"))


@pytest.mark.parametrize(("depth", "last"), [(2, ["2"]), (3, ["2", "3"]), (9, ["2", "3"])])
async def test_deeper_crawls(depth: int, last: list[str], run: Any, fakeweb: FakeWeb) -> None:
    found, _ = await run(f"{fakeweb.url}/site/crawl/index.html", depth=depth)
    names = ["0", "linked", "1a", "1b", *last]
    assert [c.url for c in found] == [crawl_image(n, fakeweb) for n in names]


async def test_page_cap_stops_the_crawl(run: Any, fakeweb: FakeWeb) -> None:
    before = hits(fakeweb)
    found, _ = await run(f"{fakeweb.url}/site/crawl/index.html", depth=3, max_pages=2)
    assert [c.url for c in found] == [crawl_image(n, fakeweb) for n in ("0", "linked", "1a")]
    assert sum(hits(fakeweb).values()) - sum(before.values()) == 2


async def test_robots_can_be_ignored_on_request(run: Any, fakeweb: FakeWeb) -> None:
    found, _ = await run(f"{fakeweb.url}/site/crawl/index.html", depth=1, respect_robots=False)
    urls = [c.url for c in found]
    assert crawl_image("secret", fakeweb) in urls
    assert crawl_image("botonly", fakeweb) in urls
    assert crawl_image("offsite", fakeweb) not in urls


async def test_a_failing_page_is_an_event_and_the_rest_goes_on(run: Any, fakeweb: FakeWeb) -> None:
    query = f"{fakeweb.url}/site/nope.html not-a-url {fakeweb.url}/site/crawl/p3.html"
    found, events = await run(query)
    assert [c.url for c in found] == [crawl_image("3", fakeweb)]
    warnings = "\n".join(events.messages("warning"))
    assert "/site/nope.html answered HTTP 404" in warnings
    assert "'not-a-url' is not an http(s) URL" in warnings


async def test_every_page_failing_raises_source_error(run: Any, fakeweb: FakeWeb) -> None:
    query = f"{fakeweb.url}/site/nope.html {fakeweb.url}/site/crawl/private/secret.html"
    with pytest.raises(SourceError, match="any of the 2 pages"):
        await run(query)


async def test_unreachable_page_raises_source_error(run: Any) -> None:
    with pytest.raises(SourceError) as info:
        await run("http://127.0.0.1:9/nothing-listens-here.html", respect_robots=False)
    assert info.value.source == "pages"


async def test_no_url_at_all_is_an_input_error(run: Any) -> None:
    with pytest.raises(InputError):
        await run("cats and dogs")


async def test_crawl_links_lists_every_image_once(
    settings: Settings, http: Fetcher, fakeweb: FakeWeb
) -> None:
    events = EventList()
    urls = [f"{fakeweb.url}/site/crawl/p1b.html", f"{fakeweb.url}/site/crawl/index.html"]
    found = await crawl_links(urls, http, settings, events, SourceOptions())
    assert [c.url for c in found] == [crawl_image(n, fakeweb) for n in ("1b", "0", "linked")]
    assert found[1].page_url == f"{fakeweb.url}/site/crawl/p1b.html"


async def test_pages_without_images_say_so(run: Any, fakeweb: FakeWeb) -> None:
    found, events = await run(f"{fakeweb.url}/site/fixtures/no-images.html")
    assert found == []
    assert any("no image links" in m for m in events.messages("warning"))
