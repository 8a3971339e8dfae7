"""DuckDuckGo as it is today: the ``vqd`` in the html form, sent on every page, bot pages."""

from __future__ import annotations

from typing import Any

import pytest

from imgharvest.errors import SourceBlocked
from tests.fakeweb import FakeWeb, search
from tests.fakeweb.catalog import good
from tests.integration.test_sources_paging import collect, make_source


def ddg(make_settings: Any, http: Any) -> Any:
    return make_source("duckduckgo", make_settings, http)


async def test_reads_the_vqd_from_the_html_form_input(
    fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    found = await collect(ddg(make_settings, source_http), search.VQD_INPUT)
    wanted = [fakeweb.image_url(i) for i in fakeweb.catalog(search.VQD_INPUT)]
    assert [c.url for c in found] == wanted


async def test_sends_the_vqd_on_every_page(
    fakeweb: FakeWeb, make_settings: Any, source_http: Any
) -> None:
    items = good(250, start=150_000, prefix="ddgn")
    fakeweb.add_catalog(search.DDG_BARE_NEXT, items)
    found = await collect(ddg(make_settings, source_http), search.DDG_BARE_NEXT)
    assert [c.url for c in found] == [fakeweb.image_url(i) for i in items]


async def test_bot_protection_is_a_block(make_settings: Any, source_http: Any) -> None:
    with pytest.raises(SourceBlocked, match=r"^duckduckgo: bot protection page \(HTTP 202\)"):
        await collect(ddg(make_settings, source_http), search.DDG_ANOMALY)
