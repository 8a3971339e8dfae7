"""Acceptance 7 for every search source against the fake web: paging, empty, blocks, layout."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imgharvest.errors import LayoutChanged, SourceBlocked
from imgharvest.events import EventList
from imgharvest.sources import get_source
from imgharvest.sources.base import Candidate, Source
from tests.fakeweb import FakeWeb, search
from tests.fakeweb.catalog import good

KEYS = {
    "flickr_api_key": "flickr-key",
    "pexels_api_key": "pexels-key",
    "pixabay_api_key": "pixabay-key",
    "unsplash_access_key": "unsplash-key",
}
KEYED = ("flickr", "pexels", "pixabay", "unsplash")
LICENSED = ("openverse", "wikimedia", *KEYED)
SOURCES = ("bing", "duckduckgo", *LICENSED)
# More than two pages everywhere: Bing 35, DDG 100, Openverse 20, Commons 50, Flickr 100, …
CATALOG_SIZE = 230


def make_source(name: str, make_settings: Any, http: Any, events: Any = None) -> Source:
    """A source with every key configured, using the real fetcher against the fake web."""
    return get_source(name)(make_settings(**KEYS), http, events or EventList())


async def collect(source: Source, query: str) -> list[Candidate]:
    """Every candidate the source yields for ``query``."""
    return [candidate async for candidate in source.candidates(query)]


@pytest.mark.parametrize("name", SOURCES)
async def test_pages_to_the_end_in_order_without_repeats(
    name: str, fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = good(CATALOG_SIZE, start=50_000 + SOURCES.index(name) * 1000, prefix=f"{name}-p")
    fakeweb.add_catalog(f"{name} paging", items)
    events = EventList()
    found = await collect(make_source(name, make_settings, source_http, events), f"{name} paging")
    assert [c.url for c in found] == [fakeweb.image_url(item) for item in items]
    assert {c.source for c in found} == {name}
    assert f"{name}: page 2: " in "\n".join(events.messages("info"))


@pytest.mark.parametrize("name", SOURCES)
async def test_full_size_url_never_the_thumbnail(
    name: str, fakeweb: FakeWeb, make_settings: Any, source_http: Any, tmp_path: Path
) -> None:
    items = good(3, start=60_000 + SOURCES.index(name) * 10, prefix=f"{name}-f")
    fakeweb.add_catalog(f"{name} full", items)
    found = await collect(make_source(name, make_settings, source_http), f"{name} full")
    first = found[0]
    assert first.thumbnail_url and first.thumbnail_url != first.url
    full = await _decoded_size(source_http, first.url, tmp_path / "full")
    small = await _decoded_size(source_http, first.thumbnail_url, tmp_path / "thumb")
    assert full == (items[0].width, items[0].height)
    assert small[0] < full[0] and small[1] < full[1]
    assert first.title and items[0].id in first.title
    assert first.page_url


async def _decoded_size(http: Any, url: str, dest: Path) -> tuple[int, int]:
    download = await http.download(url, dest)
    assert download.ok, download.detail
    with Image.open(io.BytesIO(dest.read_bytes())) as image:
        return image.size


@pytest.mark.parametrize("name", SOURCES)
async def test_empty_result_ends_quietly(name: str, make_settings: Any, source_http: Any) -> None:
    assert await collect(make_source(name, make_settings, source_http), search.EMPTY) == []


@pytest.mark.parametrize("mode", [search.CAPTCHA, search.BLOCKED, search.THROTTLED])
@pytest.mark.parametrize("name", SOURCES)
async def test_block_raises_a_clear_error_naming_the_source(
    name: str, mode: str, make_settings: Any, source_http: Any
) -> None:
    with pytest.raises(SourceBlocked) as caught:
        await collect(make_source(name, make_settings, source_http), mode)
    assert str(caught.value).startswith(f"{name}: ")
    assert caught.value.source == name


@pytest.mark.parametrize("name", SOURCES)
async def test_changed_layout_raises_layout_changed(
    name: str, make_settings: Any, source_http: Any
) -> None:
    with pytest.raises(LayoutChanged) as caught:
        await collect(make_source(name, make_settings, source_http), search.LAYOUT)
    assert str(caught.value).startswith(f"{name}: ")
    assert "layout changed?" in str(caught.value)


@pytest.mark.parametrize("name", LICENSED)
async def test_licence_and_creator_kept(
    name: str, fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = good(12, start=70_000 + LICENSED.index(name) * 100, prefix=f"{name}-l")
    fakeweb.add_catalog(f"{name} licence", items)
    found = await collect(make_source(name, make_settings, source_http), f"{name} licence")
    assert len(found) == len(items)
    assert all(c.licence and c.creator for c in found)
    assert any(c.licence_url and c.licence_url.startswith("http") for c in found)


@pytest.mark.parametrize("name", KEYED)
def test_key_based_source_unavailable_without_its_key(name: str, make_settings: Any) -> None:
    cls = get_source(name)
    assert cls.key_setting is not None
    reason = cls.unavailable(make_settings())
    assert reason is not None and cls.key_setting.upper() in reason
    assert cls.unavailable(make_settings(**KEYS)) is None


@pytest.mark.parametrize("name", SOURCES)
async def test_identical_urls_yielded_once(
    name: str, fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = good(45, start=90_000 + SOURCES.index(name) * 100, prefix=f"{name}-r")
    fakeweb.add_catalog(f"{name} repeats", items + items[:8] + items[20:30])
    found = await collect(make_source(name, make_settings, source_http), f"{name} repeats")
    assert [c.url for c in found] == [fakeweb.image_url(item) for item in items]


async def test_bing_stops_when_a_page_adds_nothing_new(
    fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = fakeweb.catalog(search.REPEATS)
    events = EventList()
    found = await collect(make_source("bing", make_settings, source_http, events), search.REPEATS)
    assert [c.url for c in found] == [fakeweb.image_url(item) for item in items]
    assert events.messages("info")[-1] == "bing: page 3: 0 candidates"
