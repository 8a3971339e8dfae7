"""Each source's parser on small hand-written answers (no network)."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest

from imgharvest.errors import LayoutChanged, SourceError
from imgharvest.sources import bing, duckduckgo, flickr, openverse, pexels, pixabay, unsplash
from imgharvest.sources.wikimedia import file_title, parse_answer


def _bing_anchor(meta: dict[str, Any], size: str = "1200 x 800 · jpeg", href: str = "") -> str:
    m = html.escape(json.dumps(meta))
    return (
        f'<div class="imgpt"><a class="iusc" href="{html.escape(href)}" m="{m}"></a>'
        f'<div class="img_info"><span class="nowrap">{size}</span></div></div>'
    )


def test_bing_takes_murl_page_and_size() -> None:
    meta = {"murl": "https://ex.com/a.jpg", "turl": "https://ts1.mm.bing.net/th?id=1&pid=15.1",
            "purl": "https://ex.com/page", "t": "A <b>cat</b>"}  # fmt: skip
    [found] = bing.parse_results(_bing_anchor(meta))
    assert (found.url, found.page_url, found.title) == (meta["murl"], meta["purl"], "A cat")
    assert (found.width, found.height) == (1200, 800)
    assert found.thumbnail_url == meta["turl"]


def test_bing_size_falls_back_to_the_href() -> None:
    href = "/images/search?view=detailV2&mediaurl=x&exph=600&expw=900"
    [found] = bing.parse_results(_bing_anchor({"murl": "https://ex.com/b.png"}, "", href))
    assert (found.width, found.height) == (900, 600)


def test_bing_skips_results_without_a_full_size_url() -> None:
    page = _bing_anchor({"turl": "https://ts1.mm.bing.net/th?id=1"}) + _bing_anchor({"murl": 5})
    assert bing.parse_results(page + '<a class="iusc" m="not json"></a>') == []


@pytest.mark.parametrize(
    "page",
    ['x,vqd="4-1234567890",y', "a&vqd=4-1234567890&b=1", "{vqd='4-1234567890'}"],
)
def test_duckduckgo_vqd_spellings(page: str) -> None:
    assert duckduckgo.extract_vqd(page) == "4-1234567890"


def test_duckduckgo_vqd_absent() -> None:
    assert duckduckgo.extract_vqd("<html>no token here</html>") is None


def test_duckduckgo_result_uses_image_not_thumbnail() -> None:
    item = {"image": "https://up.example/Sun.jpg", "thumbnail": "https://tse4.mm.bing.net/th?id=1",
            "url": "https://en.example/wiki/Sun", "title": "Sun",
            "width": 4044, "height": "3860"}  # fmt: skip
    found = duckduckgo.parse_result(item)
    assert found is not None
    assert (found.url, found.width, found.height) == (item["image"], 4044, 3860)
    assert duckduckgo.parse_result({"thumbnail": item["thumbnail"]}) is None


@pytest.mark.parametrize(
    ("slug", "version", "name"),
    [("by-sa", "2.0", "CC BY-SA 2.0"), ("cc0", "1.0", "CC0 1.0"), ("pdm", "", "Public Domain Mark"),
     (None, "1.0", None)],
)  # fmt: skip
def test_openverse_licence_names(slug: str | None, version: str, name: str | None) -> None:
    assert openverse.licence_name(slug, version) == name


def test_openverse_result_keeps_licence_fields() -> None:
    item = {"url": "https://live.example/fox_b.jpg", "thumbnail": "https://api.example/thumb/",
            "foreign_landing_url": "https://flickr.example/p/1", "title": "Red fox",
            "creator": "Jane", "license": "by", "license_version": "4.0",
            "license_url": "https://creativecommons.org/licenses/by/4.0/",
            "width": 1024}  # fmt: skip
    found = openverse.parse_result(item)
    assert found is not None and found.url == item["url"]
    assert (found.licence, found.licence_url, found.creator) == (
        "CC BY 4.0", item["license_url"], "Jane")  # fmt: skip


def _commons_page(pageid: int, index: int, **info: Any) -> dict[str, Any]:
    info.setdefault("url", f"https://upload.example/{pageid}.jpg")
    return {"pageid": pageid, "title": f"File:P{pageid}.jpg", "index": index, "imageinfo": [info]}


def test_commons_version_1_sorted_by_index() -> None:
    pages = {"5": _commons_page(5, 2), "9": _commons_page(9, 1), "3": {"pageid": 3, "index": 3}}
    found = parse_answer({"query": {"pages": pages}}, 1)
    assert [c.url for c in found] == [
        "https://upload.example/9.jpg",
        "https://upload.example/5.jpg",
    ]


def test_commons_skips_missing_files_and_reads_extmetadata() -> None:
    meta = {"Artist": {"value": "<span>Ann &amp; Bo</span>"}, "LicenseShortName": {"value": "CC0"}}
    pages = [_commons_page(1, 1, filemissing=""), _commons_page(2, 2, extmetadata=meta)]
    [found] = parse_answer({"query": {"pages": pages}}, 1)
    assert (found.creator, found.licence, found.title) == ("Ann & Bo", "CC0", "P2")


def test_commons_empty_answer_and_errors() -> None:
    assert parse_answer({"batchcomplete": True}, 1) == []
    with pytest.raises(SourceError, match="wikimedia: API error on page 1: bad"):
        parse_answer({"error": {"code": "x", "info": "bad"}}, 1)
    with pytest.raises(LayoutChanged):
        parse_answer({"query": {"pages": [{"title": "File:A", "imageinfo": [{"src": "x"}]}]}}, 2)
    with pytest.raises(LayoutChanged):
        parse_answer({"something": "else"}, 1)


@pytest.mark.parametrize(
    ("title", "plain"),
    [("File:Red fox.jpg", "Red fox"), ("File:a.b.png", "a.b"), ("Noext", "Noext"), (None, None)],
)
def test_commons_file_title(title: str | None, plain: str | None) -> None:
    assert file_title(title) == plain


def test_flickr_prefers_original_then_widest() -> None:
    photo = {"url_z": "https://f.example/z.jpg", "width_z": "640",
             "url_l": "https://f.example/l.jpg", "width_l": 1024,
             "url_n": "https://f.example/n.jpg", "width_n": 320}  # fmt: skip
    assert flickr.largest_size(photo) == "l"
    assert flickr.largest_size({**photo, "url_o": "https://f.example/o.jpg"}) == "o"
    assert flickr.largest_size({"url_k": "https://f.example/k.jpg", "url_c": "https://f/c"}) == "k"
    assert flickr.largest_size({"title": "no sizes"}) is None


def test_pexels_original_only() -> None:
    photo = {"src": {"original": "https://p.example/o.jpeg", "tiny": "https://p.example/t"}}
    found = pexels.parse_photo(photo)
    assert found is not None and found.url == "https://p.example/o.jpeg"
    assert pexels.parse_photo({"src": {"large": "https://p.example/l"}}) is None


def test_pixabay_image_url_beats_large_image_url() -> None:
    hit = {"largeImageURL": "https://x.example/_1280.jpg", "imageURL": "https://x.example/o.jpg",
           "imageWidth": 4000, "imageHeight": 2250}  # fmt: skip
    found = pixabay.parse_hit(hit)
    assert found is not None and (found.url, found.width) == ("https://x.example/o.jpg", 4000)
    scaled = pixabay.parse_hit({**hit, "imageURL": None})
    assert scaled is not None and (scaled.url, scaled.width) == (hit["largeImageURL"], None)


def test_unsplash_full_then_raw() -> None:
    urls = {"full": "https://u.example/full", "raw": "https://u.example/raw",
            "thumb": "https://u.example/thumb"}  # fmt: skip
    found = unsplash.parse_photo({"urls": urls, "user": {"name": "Kim"}})
    assert found is not None and (found.url, found.creator) == (urls["full"], "Kim")
    raw = unsplash.parse_photo({"urls": {"raw": urls["raw"], "thumb": urls["thumb"]}})
    assert raw is not None and raw.url == urls["raw"]
    assert unsplash.parse_photo({"urls": {"thumb": urls["thumb"]}}) is None
