"""Per-source details against the fake web: tokens, keys, licences, sizes, formats, fall-through."""

from __future__ import annotations

from typing import Any

import pytest

from imgharvest.errors import LayoutChanged, SourceBlocked, SourceError
from imgharvest.events import EventList
from imgharvest.pipeline.streams import Stream, chain
from imgharvest.sources import get_source, wikimedia
from imgharvest.sources.base import Candidate, Source
from tests.fakeweb import FakeWeb, search
from tests.fakeweb.catalog import FakeImage, good
from tests.integration.test_sources_paging import KEYS, collect, make_source


def catalog(fakeweb: FakeWeb, query: str, count: int, start: int) -> list[FakeImage]:
    """Register ``count`` good images for ``query``."""
    items = good(count, start=start, prefix=f"d{start}-")
    fakeweb.add_catalog(query, items)
    return items


async def test_bing_layout_change_on_page_2_names_the_page(
    make_settings: Any, source_http: Any
) -> None:
    source = make_source("bing", make_settings, source_http)
    seen: list[Candidate] = []
    with pytest.raises(LayoutChanged) as caught:
        async for candidate in source.candidates(search.LAYOUT_PAGE2):
            seen.append(candidate)
    assert str(caught.value) == "bing: no results parsed from page 2, layout changed?"
    assert len(seen) == search.BING_PAGE


async def test_bing_reads_both_size_spellings_and_strips_title_markup(
    fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = catalog(fakeweb, "bing sizes", 6, 80_000)
    found = await collect(make_source("bing", make_settings, source_http), "bing sizes")
    assert [(c.width, c.height) for c in found] == [(i.width, i.height) for i in items]
    assert [c.title for c in found] == [i.title for i in items]
    assert all(c.thumbnail_url and "&pid=15.1" in c.thumbnail_url for c in found)


@pytest.mark.parametrize("query", [search.VQD_AMP, search.VQD_SINGLE, "vqd in quotes"])
async def test_duckduckgo_finds_each_vqd_spelling(
    query: str, fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    found = await collect(make_source("duckduckgo", make_settings, source_http), query)
    assert [c.url for c in found] == [fakeweb.image_url(i) for i in fakeweb.catalog(query)]


async def test_duckduckgo_without_vqd_is_a_layout_change(
    make_settings: Any, source_http: Any
) -> None:
    with pytest.raises(LayoutChanged, match="duckduckgo: no vqd token"):
        await collect(make_source("duckduckgo", make_settings, source_http), search.NO_VQD)


async def test_fake_duckduckgo_refuses_a_wrong_vqd(fakeweb: FakeWeb, source_http: Any) -> None:
    params: dict[str, str | int] = {"q": "cats", "o": "json", "vqd": "4-1"}
    assert (await source_http.get(f"{fakeweb.url}/i.js", params=params)).status == 403
    params["vqd"] = search.vqd_for("cats")
    assert (await source_http.get(f"{fakeweb.url}/i.js", params=params)).status == 200


async def test_openverse_licences_read_as_names(
    fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    catalog(fakeweb, "openverse names", 3, 81_000)  # seeds 81000..2 cycle the three licences
    found = await collect(make_source("openverse", make_settings, source_http), "openverse names")
    assert sorted(c.licence or "" for c in found) == ["CC BY 4.0", "CC BY-SA 2.0", "CC0 1.0"]
    assert all(c.creator and c.creator.startswith("Creator ") for c in found)


async def test_fake_openverse_enforces_anonymous_limits(fakeweb: FakeWeb, source_http: Any) -> None:
    url = f"{fakeweb.url}/v1/images/"
    assert (await source_http.get(url, params={"q": "x", "page_size": 50})).status == 401
    assert (await source_http.get(url, params={"q": "x", "page": 21})).status == 400


async def test_commons_extmetadata_html_stripped(
    fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = catalog(fakeweb, "commons meta", 2, 82_000)
    found = await collect(make_source("wikimedia", make_settings, source_http), "commons meta")
    assert [c.creator for c in found] == [f"Jane & {i.id}" for i in items]
    assert {c.licence for c in found} == {"CC BY-SA 4.0"}
    assert {c.licence_url for c in found} == {"https://creativecommons.org/licenses/by-sa/4.0"}
    assert [c.title for c in found] == [i.title for i in items]


@pytest.mark.parametrize("version", ["1", "2"])
async def test_commons_both_formatversions_in_rank_order(
    version: str, fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = catalog(fakeweb, f"commons v{version}", 5, 83_000 + int(version) * 10)
    params = {**wikimedia._FIXED, "gsrsearch": f"commons v{version}", "formatversion": version}
    headers = {"User-Agent": make_settings().bot_user_agent}
    answer = await source_http.get(f"{fakeweb.url}/w/api.php", params=params, headers=headers)
    data = answer.json()
    assert isinstance(data["query"]["pages"], dict if version == "1" else list)
    found = wikimedia.parse_answer(data, 1)
    assert [c.url for c in found] == [fakeweb.image_url(i) for i in items]


async def test_commons_refuses_a_generic_user_agent(make_settings: Any, source_http: Any) -> None:
    settings = make_settings(bot_user_agent="python-requests/2.31")
    source = get_source("wikimedia")(settings, source_http, EventList())
    with pytest.raises(SourceBlocked, match="wikimedia: HTTP 403"):
        await collect(source, "red fox")


@pytest.mark.parametrize(
    ("name", "error"),
    [("flickr", SourceBlocked), ("pexels", SourceBlocked), ("unsplash", SourceBlocked),
     ("pixabay", SourceError)],
)  # fmt: skip
async def test_rejected_key_fails_loudly(
    name: str, error: type[SourceError], make_settings: Any, source_http: Any
) -> None:
    cls = get_source(name)
    assert cls.key_setting is not None
    source = cls(make_settings(**{cls.key_setting: search.BAD_KEY}), source_http, EventList())
    with pytest.raises(error) as caught:
        await collect(source, "red fox")
    assert caught.value.source == name


async def test_flickr_sizes_as_text_and_licence_ids(
    fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = catalog(fakeweb, "flickr sizes", 11, 84_000)
    found = await collect(make_source("flickr", make_settings, source_http), "flickr sizes")
    assert [(c.width, c.height) for c in found] == [(i.width, i.height) for i in items]
    assert found[0].licence == "All Rights Reserved" and found[4].licence == "CC BY 2.0"
    assert found[9].licence_url == "https://creativecommons.org/publicdomain/zero/1.0/"


async def test_pixabay_size_known_only_for_the_original(
    fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    catalog(fakeweb, "pixabay sizes", 4, 85_000)
    found = await collect(make_source("pixabay", make_settings, source_http), "pixabay sizes")
    assert [c.width for c in found] == [320, None, 320, None]


async def test_a_blocked_source_falls_through_to_the_next(
    fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = catalog(fakeweb, "fall through", 4, 86_000)
    settings = make_settings(bot_user_agent="python-requests/2.31")
    events, errors, used = EventList(), {}, []  # type: ignore[var-annotated]
    sources: list[Source] = [
        get_source(name)(settings, source_http, events) for name in ("wikimedia", "bing")
    ]
    streams = [Stream(s.name, lambda s=s: s.candidates("fall through")) for s in sources]
    found = [c async for c in chain(streams, events, errors, used)]
    assert [c.url for c in found] == [fakeweb.image_url(i) for i in items]
    assert errors["wikimedia"].startswith("wikimedia: HTTP 403")
    assert any("wikimedia: HTTP 403" in m for m in events.messages("error"))


def test_keys_fixture_covers_every_key_based_source() -> None:
    from imgharvest.sources import load_all

    keyed = {cls.key_setting for cls in load_all().values() if cls.key_setting}
    assert keyed == set(KEYS)
