"""Richer records (issue 12): captions, ranks, licences at the source, shape filters."""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
from pathlib import Path
from typing import Any

import pytest

from imgharvest.events import EventList
from imgharvest.extract.page import extract_images
from imgharvest.net.http import HttpResponse
from imgharvest.pipeline.records import MANIFEST_FIELDS, Filters, ImageRecord, Reason, Rejected
from imgharvest.pipeline.verify import verify
from imgharvest.settings import Settings
from imgharvest.sources import bing, openverse
from imgharvest.sources.base import Candidate, SourceOptions
from imgharvest.sources.common import PagedSource
from imgharvest.sources.flickr import Flickr
from imgharvest.sources.wikimedia import parse_page
from tests.fakeweb.images import make_image


def test_bing_desc_is_the_caption() -> None:
    meta = {"murl": "https://ex.com/a.jpg", "t": "Title", "desc": "A <b>red</b> fox"}
    anchor = f'<div><a class="iusc" m="{html.escape(json.dumps(meta))}"></a></div>'
    [found] = bing.parse_results(anchor)
    assert found.caption == "A red fox" and found.title == "Title"


def test_commons_description_is_the_caption() -> None:
    meta = {"ImageDescription": {"value": "<p>Fox <i>in</i> snow</p>"}}
    entry = {
        "title": "File:F.jpg",
        "imageinfo": [{"url": "https://u.test/f.jpg", "extmetadata": meta}],
    }
    found = parse_page(entry)
    assert found is not None and found.caption == "Fox in snow"


def test_img_alt_then_figcaption() -> None:
    page = (
        '<figure><img src="/a.jpg" alt="alt text"><figcaption> The  <b>caption</b> </figcaption>'
        '</figure><figure><div><img src="/b.jpg"></div><figcaption>Only caption</figcaption>'
        '</figure><img src="/c.jpg">'
    )
    refs = {r.url.rsplit("/", 1)[1]: r for r in extract_images(page, "http://p.test/")}
    assert (refs["a.jpg"].alt, refs["a.jpg"].figcaption) == ("alt text", "The caption")
    assert (refs["b.jpg"].alt, refs["b.jpg"].figcaption) == (None, "Only caption")
    assert refs["c.jpg"].figcaption is None


def test_record_caption_falls_back_to_the_title_and_licence_is_normalised(tmp_path: Path) -> None:
    data = make_image(1, 40, 30)
    path = tmp_path / "a"
    path.write_bytes(data)
    info = verify(path, max_pixels=10**7, filters=Filters())
    assert not isinstance(info, Rejected)
    sha = hashlib.sha256(data).hexdigest()
    cand = Candidate(url="http://x/a", source="openverse", title="Fox", licence="CC BY-SA 2.0",
                     rank=4)  # fmt: skip
    row = ImageRecord(cand, path, len(data), sha, info, "u", "fox", "2026-01-01T00:00:00+00:00")
    values = row.manifest_row("images/0001_fox.jpg")
    assert tuple(values) == MANIFEST_FIELDS
    assert (values["caption"], values["licence"], values["rank"]) == ("Fox", "CC-BY-SA-2.0", 4)
    assert (values["query"], values["fetched_at"]) == ("fox", "2026-01-01T00:00:00+00:00")
    bare = ImageRecord(Candidate(url="http://x/b", source="bing"), path, 1, sha, info, "u")
    assert bare.manifest_row("f")["licence"] == "unknown" and bare.caption == ""


@pytest.mark.parametrize(
    ("size", "filters", "reason"),
    [
        ((100, 40), Filters(min_side=50), Reason.TOO_SMALL),
        ((200, 40), Filters(max_aspect=4.0), Reason.ASPECT),
        ((40, 200), Filters(max_aspect=4.0), Reason.ASPECT),
        ((160, 40), Filters(min_side=40, max_aspect=4.0), None),
    ],
)
def test_min_side_and_max_aspect(
    tmp_path: Path, size: tuple[int, int], filters: Filters, reason: Reason | None
) -> None:
    path = tmp_path / "x"
    path.write_bytes(make_image(9, *size))
    got = verify(path, max_pixels=10**7, filters=filters)
    assert (got.reason if isinstance(got, Rejected) else None) == reason


class _Recorder:
    """An ``Http`` that remembers the parameters and answers an empty page."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.params: list[dict[str, str | int]] = []
        self.body = body

    async def get(self, url: str, *, params: Any = None, headers: Any = None) -> HttpResponse:
        self.params.append(dict(params or {}))
        return HttpResponse(url, 200, {}, json.dumps(self.body))


@pytest.mark.parametrize(("policy", "sent"), [("any", None), ("open", "all-cc"),
                                              ("commercial", "commercial")])  # fmt: skip
def test_openverse_asks_for_the_licence_type(policy: str, sent: str | None) -> None:
    http = _Recorder({"results": [], "page_count": 0})
    source = openverse.Openverse(Settings(_env_file=None), http, EventList(),
                                 SourceOptions(licence=policy))  # fmt: skip
    asyncio.run(source.request("fox", 1))
    assert http.params[0].get("license_type") == sent


def test_flickr_asks_for_licence_ids() -> None:
    http = _Recorder({"stat": "ok", "photos": {"photo": [], "pages": 0}})
    settings = Settings(_env_file=None, flickr_api_key="k")
    source = Flickr(settings, http, EventList(), SourceOptions(licence="commercial"))
    asyncio.run(source.request("fox", 1))
    assert http.params[0]["license"] == "4,5,6,7,8,9,10"


class _Two(PagedSource):
    name = "two"
    example = "x"

    async def pages(self, query: str) -> Any:
        yield [Candidate(url=f"http://x/{i}", source="two") for i in (1, 2, 1)]
        yield [Candidate(url=f"http://x/{i}", source="two", rank=99 if i == 4 else None)
               for i in (3, 4)]  # fmt: skip


def test_paged_sources_number_their_results() -> None:
    source = _Two(Settings(_env_file=None), _Recorder({}), EventList())

    async def collect() -> list[Candidate]:
        return [c async for c in source.candidates("q")]

    assert [(c.url[-1], c.rank) for c in asyncio.run(collect())] == [
        ("1", 1), ("2", 2), ("3", 3), ("4", 99)
    ]  # fmt: skip


def test_figcaption_follows_the_largest_copy_and_the_innermost_figure() -> None:
    page = (
        '<figure><figcaption>Outer</figcaption><figure><img src="/s.jpg" '
        'srcset="/l.jpg 1200w, /s.jpg 300w"><figcaption>Inner</figcaption></figure>'
        '<img src="/other.jpg" alt="x"></figure>'
    )
    refs = {r.url.rsplit("/", 1)[1]: r for r in extract_images(page, "http://p.test/")}
    assert refs["l.jpg"].figcaption == "Inner"
    assert refs["other.jpg"].figcaption == "Outer"
