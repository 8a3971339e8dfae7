"""The shared source helpers: field parsing, block/layout errors, paging with de-duplication."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import pytest

from imgharvest.errors import LayoutChanged, SourceBlocked, SourceError
from imgharvest.events import EventList
from imgharvest.net.http import HttpResponse
from imgharvest.settings import Settings
from imgharvest.sources.base import Candidate, SourceOptions
from imgharvest.sources.common import (
    PagedSource,
    check_status,
    http_url,
    json_object,
    parse_size,
    strip_html,
    to_int,
    unparsed,
    unseen,
)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1200 x 800 · jpeg", (1200, 800)),
        ("1920\u00d71080", (1920, 1080)),
        ("3442 X 2972 · png", (3442, 2972)),
        ("1,920 x 1,080", (1920, 1080)),
        ("jpeg", (None, None)),
    ],
)
def test_parse_size(text: str, size: tuple[int | None, int | None]) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ('<a href="//x/User:J">Jane &amp; Co</a>', "Jane & Co"),
        ("<b>Red</b> fox\n  cub", "Red fox cub"),
        ("plain", "plain"),
        ("  ", None),
        (None, None),
        (42, "42"),
    ],
)
def test_strip_html(value: object, text: str | None) -> None:
    assert strip_html(value) == text


@pytest.mark.parametrize(
    ("value", "number"),
    [(320, 320), ("320", 320), (" 7 ", 7), (2.9, 2), ("abc", None), (None, None), (True, None)],
)
def test_to_int_accepts_numbers_as_text(value: object, number: int | None) -> None:
    assert to_int(value) == number


def test_http_url_only_absolute_web_urls() -> None:
    assert http_url("//cdn.example/a.jpg") == "https://cdn.example/a.jpg"
    assert http_url(" http://a.example/x ") == "http://a.example/x"
    assert http_url("data:image/gif;base64,AAAA") is None
    assert http_url("/relative.jpg") is None
    assert http_url({"url": "http://a"}) is None


def test_unseen_keeps_order_and_updates_seen() -> None:
    seen = {"http://a/1"}
    batch = [_cand("http://a/1"), _cand("http://a/2"), _cand("http://a/2"), _cand("http://a/3")]
    assert [c.url for c in unseen(batch, seen)] == ["http://a/2", "http://a/3"]
    assert seen == {"http://a/1", "http://a/2", "http://a/3"}


@pytest.mark.parametrize(("status", "error"), [(403, SourceBlocked), (429, SourceBlocked)])
def test_block_statuses(status: int, error: type[SourceError]) -> None:
    with pytest.raises(error, match=f"x: HTTP {status} on page 3"):
        check_status("x", _response(status, ""), 3)


def test_server_error_is_a_source_error_not_a_block() -> None:
    with pytest.raises(SourceError) as caught:
        check_status("x", _response(503, ""), 1)
    assert not isinstance(caught.value, SourceBlocked)
    check_status("x", _response(200, ""), 1)


def test_unparsed_tells_captcha_from_layout_change() -> None:
    captcha = unparsed("bing", 2, "<html><form id='captcha'>Are you a robot?</form></html>")
    changed = unparsed("bing", 2, "<html><div class='new-grid'></div></html>")
    assert isinstance(captcha, SourceBlocked)
    assert isinstance(changed, LayoutChanged)
    assert str(changed) == "bing: no results parsed from page 2, layout changed?"


def test_json_object_rejects_html_and_lists() -> None:
    assert json_object("x", _response(200, '{"a": 1}'), 1) == {"a": 1}
    with pytest.raises(LayoutChanged):
        json_object("x", _response(200, "[1, 2]"), 1)
    with pytest.raises(SourceBlocked):
        json_object("x", _response(200, "<p>Please complete the CAPTCHA</p>"), 1)


class _Scripted(PagedSource):
    """A source replaying fixed pages (no network)."""

    name = "scripted"
    example = "x"
    script: list[list[str]] = []

    async def pages(self, query: str) -> AsyncGenerator[list[Candidate], None]:
        for page in self.script:
            yield [_cand(url) for url in page]


async def _run(script: list[list[str]], options: SourceOptions | None = None) -> list[str]:
    source = _Scripted(Settings(_env_file=None), _NoHttp(), EventList(), options)
    source.script = script
    return [c.url async for c in source.candidates("q")]


async def test_paging_stops_on_a_page_of_repeats() -> None:
    script = [["http://a/1", "http://a/2"], ["http://a/2", "http://a/1"], ["http://a/3"]]
    assert await _run(script) == ["http://a/1", "http://a/2"]


async def test_paging_goes_past_an_empty_page_and_honours_max_pages() -> None:
    script = [["http://a/1"], [], ["http://a/2"], ["http://a/3"]]
    assert await _run(script) == ["http://a/1", "http://a/2", "http://a/3"]
    assert await _run(script, SourceOptions(max_pages=3)) == ["http://a/1", "http://a/2"]


class _NoHttp:
    async def get(self, url: str, **kwargs: Any) -> HttpResponse:
        raise AssertionError(f"no network expected, got {url}")


def _cand(url: str) -> Candidate:
    return Candidate(url=url, source="scripted")


def _response(status: int, text: str) -> HttpResponse:
    return HttpResponse(url="http://example.test/", status=status, headers={}, text=text)
