"""The ``google`` source against the fake web: WML paging, ends, blocks and layout changes."""

from __future__ import annotations

from typing import Any

import pytest

from imgharvest.errors import LayoutChanged, SourceBlocked
from imgharvest.events import EventList
from imgharvest.sources.base import Candidate
from imgharvest.sources.google import Google
from tests.fakeweb import FakeWeb, search
from tests.fakeweb import google as fake_google
from tests.fakeweb.catalog import good


def google(make_settings: Any, http: Any, events: Any = None) -> Google:
    """The source without a browser to fall back on: the WML route alone is under test."""
    settings = make_settings(browser_path="/nonexistent/chromium")
    return Google(settings, http, events or EventList())


async def collect(source: Google, query: str) -> list[Candidate]:
    return [c async for c in source.candidates(query)]


async def test_pages_of_ten_to_the_end_in_order(
    fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = good(45, start=140_000, prefix="gw")
    fakeweb.add_catalog("google paging", items)
    events = EventList()
    found = await collect(google(make_settings, source_http, events), "google paging")
    assert [c.url for c in found] == [fakeweb.image_url(i) for i in items]
    assert [(c.width, c.height) for c in found] == [(i.width, i.height) for i in items]
    pages = [c.page_url or "" for c in found]
    assert all(p.endswith(f"{i.id}.html") for p, i in zip(pages, items, strict=True))
    info = "\n".join(events.messages("info"))
    assert "google: page 5: 5 candidates" in info and "page 6" not in info


async def test_identical_urls_yielded_once(
    fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = good(25, start=141_000, prefix="gr")
    fakeweb.add_catalog("google repeats", items + items[:5])
    found = await collect(google(make_settings, source_http), "google repeats")
    assert [c.url for c in found] == [fakeweb.image_url(i) for i in items]


async def test_no_results_ends_quietly(make_settings: Any, source_http: Any) -> None:
    assert await collect(google(make_settings, source_http), search.EMPTY) == []


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        (search.CAPTCHA, "captcha"),
        (search.BLOCKED, "HTTP 403"),
        (search.THROTTLED, "HTTP 429"),
        (fake_google.SORRY, "blocked (captcha: redirected to /sorry/, page 1)"),
        (fake_google.RECAPTCHA, "blocked (reCAPTCHA page, HTTP 503, page 1)"),
        (fake_google.JSWALL, "blocked (JavaScript challenge)"),
        (fake_google.CHALLENGE, "blocked (JavaScript challenge)"),
    ],
)
async def test_blocks_raise_source_blocked_never_an_empty_result(
    mode: str, says: str, make_settings: Any, source_http: Any
) -> None:
    with pytest.raises(SourceBlocked) as caught:
        await collect(google(make_settings, source_http), mode)
    assert caught.value.source == "google" and says in str(caught.value)
    assert "no browser to fall back on" in str(caught.value)


async def test_changed_layout_raises_layout_changed(make_settings: Any, source_http: Any) -> None:
    with pytest.raises(LayoutChanged, match=r"^google: .*layout changed\?"):
        await collect(google(make_settings, source_http), search.LAYOUT)


async def test_a_modern_user_agent_gets_the_wall_in_the_fake_too(
    fakeweb: FakeWeb, source_http: Any
) -> None:
    """The fake is faithful: only old phones get the WML results (so the source must send one)."""
    answer = await source_http.get(fakeweb.url + "/wml/search", params={"q": "x", "tbm": "isch"})
    assert "/httpservice/retry/enablejs" in answer.text and "/imgres?" not in answer.text
