"""Fallback copies: when a picture's largest copy fails, the next copy is fetched (one tried)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imgharvest.events import EventList
from imgharvest.pipeline.fetch import Fetcher
from imgharvest.pipeline.records import Filters
from imgharvest.pipeline.run import harvest_links
from imgharvest.sources.base import Candidate, SourceOptions
from imgharvest.sources.pages import crawl_links
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat


def image(fw: FakeWeb, name: str, kind: str = "good", seed: int = 0) -> str:
    item = cat.FakeImage(name, 90_000 + seed, kind)
    fw.add_catalog(f"fallback-{name}", [item])
    return fw.image_url(item)


async def test_a_failing_largest_copy_falls_back_to_the_next(
    fakeweb: FakeWeb, settings: Any, tmp_path: Path
) -> None:
    missing = image(fakeweb, "fb-a-missing", "404", 1)
    broken = image(fakeweb, "fb-a-broken", "truncated", 2)
    good = image(fakeweb, "fb-a-good", seed=3)
    spare = image(fakeweb, "fb-a-spare", seed=4)
    cand = Candidate(url=missing, source="links", fallbacks=(broken, good, spare))
    result = await harvest_links([cand], 1, settings, tmp_path, events=EventList())
    assert [(r.final_url, r.candidate.url) for r in result.records] == [(good, good)]
    assert result.records[0].candidate.fallbacks == (broken, good, spare)
    assert result.tried == 1 and sum(result.rejected.values()) == 0
    paths = [f"/img/fb-a-{n}.jpg" for n in ("missing", "broken", "good", "spare")]
    assert [fakeweb.hits[p] for p in paths] == [1, 1, 1, 0]


async def test_every_copy_failing_is_one_rejection_with_the_last_reason(
    fakeweb: FakeWeb, settings: Any, tmp_path: Path
) -> None:
    first = image(fakeweb, "fb-b-missing", "404", 5)
    last = image(fakeweb, "fb-b-html", "html", 6)
    cand = Candidate(url=first, source="links", fallbacks=(last,))
    result = await harvest_links([cand], 1, settings, tmp_path, events=EventList())
    assert result.records == [] and result.tried == 1
    assert dict(result.rejected) == {"not_image": 1}
    assert list((tmp_path / "files").iterdir()) == []


async def test_too_small_stops_without_trying_smaller_copies(
    fakeweb: FakeWeb, settings: Any, tmp_path: Path
) -> None:
    big = image(fakeweb, "fb-c-big", seed=7)
    smaller = image(fakeweb, "fb-c-smaller", seed=8)
    cand = Candidate(url=big, source="links", fallbacks=(smaller,))
    result = await harvest_links(
        [cand], 1, settings, tmp_path, events=EventList(), filters=Filters(min_width=1000)
    )
    assert result.records == [] and dict(result.rejected) == {"too_small": 1}
    assert fakeweb.hits["/img/fb-c-smaller.jpg"] == 0


async def test_crawled_page_reports_largest_copies_and_downloads_a_fallback(
    fakeweb: FakeWeb, settings: Any, tmp_path: Path
) -> None:
    big1, small1 = image(fakeweb, "fbk-big-1", "404", 9), image(fakeweb, "fbk-small-1", seed=10)
    big2, small2 = image(fakeweb, "fbk-big-2", seed=11), image(fakeweb, "fbk-small-2", seed=12)
    page = f"{fakeweb.url}/site/fallback/gallery.html"
    async with Fetcher(settings) as http:
        found = await crawl_links([page], http, settings, EventList(), SourceOptions())
    assert [(c.url, c.fallbacks, c.title) for c in found] == [
        (big1, (small1,), "One"),
        (big2, (small2,), "Two"),
    ]
    result = await harvest_links(found, 2, settings, tmp_path, events=EventList())
    assert sorted(r.final_url for r in result.records) == sorted([small1, big2])
    assert result.tried == 2
    assert fakeweb.hits["/img/fbk-small-2.jpg"] == 0
