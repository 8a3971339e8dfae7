"""Pure extraction: every kind of image reference, resolved exactly (acceptance 6, offline)."""

from __future__ import annotations

import pytest

from imgharvest.extract.page import (
    extract_images,
    extract_page,
    is_image_path,
    largest_candidate,
    parse_srcset,
    resolve,
)
from tests.fakeweb.pages import EXPECTED, ROOT, expected, page_html

ORIGIN = "http://127.0.0.1:8765"


def refs(html: str, page_url: str) -> list[tuple[str, str]]:
    return [(r.kind, r.url) for r in extract_images(html, page_url)]


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_fixture_pages_give_exact_references(fixture: str) -> None:
    html = (ROOT / fixture).read_text(encoding="utf-8")
    assert refs(html, f"{ORIGIN}/site/{fixture}") == expected(fixture, ORIGIN)


def test_protocol_relative_urls_take_the_page_scheme() -> None:
    html = '<img src="//cdn.example.net/a.jpg"><img src="//cdn.example.net/a.jpg">'
    assert refs(html, "https://example.com/x/") == [("img", "https://cdn.example.net/a.jpg")]


def test_relative_base_is_resolved_against_the_document_url() -> None:
    html = '<head><base href="../up/"></head><img src="a.png">'
    assert refs(html, "https://ex.com/a/b/page.html?q=1") == [("img", "https://ex.com/a/up/a.png")]


def test_base_without_href_is_ignored_and_the_first_with_href_wins() -> None:
    html = '<base target="_blank"><base href="/one/"><base href="/two/"><img src="i.gif">'
    assert refs(html, "https://ex.com/p/q") == [("img", "https://ex.com/one/i.gif")]


def test_relative_references_follow_rfc3986() -> None:
    page = "https://ex.com/a/b/c.html?x=1"
    cases = {
        "d.jpg": "https://ex.com/a/b/d.jpg",
        "../../../d.jpg": "https://ex.com/d.jpg",
        "?v=2": "https://ex.com/a/b/c.html?v=2",
        "./": "https://ex.com/a/b/",
        "HTTPS://Other.EX.com/Z.jpg": "https://other.ex.com/Z.jpg",
        "//u:p@[::1]:81/i.png": "https://u:p@[::1]:81/i.png",
    }
    assert {raw: resolve(raw, page) for raw in cases} == cases


def test_unusable_schemes_and_empty_values_are_skipped() -> None:
    page = "https://ex.com/"
    for raw in (
        "data:image/png;base64,AAAA",
        "javascript:void(0)",
        "blob:https://ex.com/1",
        "about:blank",
        "mailto:a@b.jpg",
        "ftp://ex.com/a.jpg",
        "  ",
        "http://[::1",
    ):
        assert resolve(raw, page) is None, raw


def test_non_ascii_is_percent_encoded_and_hosts_are_idna() -> None:
    assert resolve(" bild ä.jpg ", "https://ex.com/") == "https://ex.com/bild%20%C3%A4.jpg"
    assert resolve("https://bücher.example/ü.png", "https://ex.com/") == (
        "https://xn--bcher-kva.example/%C3%BC.png"
    )
    assert resolve("/a%20b.jpg?q=%C3%A4", "https://ex.com/") == "https://ex.com/a%20b.jpg?q=%C3%A4"


def test_srcset_urls_may_contain_commas() -> None:
    value = "https://c.ex/w_300,h_2/a.jpg 300w,https://c.ex/w_900,h_6/a.jpg 900w, b.jpg,, c.jpg 2x,"
    assert parse_srcset(value) == [
        ("https://c.ex/w_300,h_2/a.jpg", ["300w"]),
        ("https://c.ex/w_900,h_6/a.jpg", ["900w"]),
        ("b.jpg", []),
        ("c.jpg", ["2x"]),
    ]


def test_largest_candidate_prefers_width_then_density() -> None:
    assert largest_candidate("a.jpg 640w, b.jpg 1920w, c.jpg 1280w") == ("b.jpg", 1920)
    assert largest_candidate("a.jpg, b.jpg 1.5x, c.jpg 3x, d.jpg 2x") == ("c.jpg", None)
    assert largest_candidate("a.jpg 1x, b.jpg 300w") == ("b.jpg", 300)
    assert largest_candidate("  ,  ") is None


def test_width_and_alt_travel_with_the_reference() -> None:
    html = (ROOT / "fixtures/srcset.html").read_text(encoding="utf-8")
    first = extract_images(html, f"{ORIGIN}/site/fixtures/srcset.html")[0]
    assert (first.width, first.height, first.alt) == (1200, None, "Cat")
    html = (ROOT / "fixtures/meta.html").read_text(encoding="utf-8")
    found = {r.url: r for r in extract_images(html, f"{ORIGIN}/site/fixtures/meta.html")}
    primary = found[f"{ORIGIN}/img/ld-primary.jpg"]
    assert (primary.width, primary.height, primary.alt) == (1600, 900, "Primary")


def test_noscript_in_head_is_still_found() -> None:
    html = '<html><head><noscript><img src="/h.jpg"></noscript></head><body></body></html>'
    assert [r.url for r in extract_images(html, "https://ex.com/")] == ["https://ex.com/h.jpg"]


def test_video_sources_are_media_not_images() -> None:
    html = '<video><source src="m.mp4" srcset="x.jpg 2x"></video><audio src="a.mp3"></audio>'
    assert extract_images(html, "https://ex.com/") == []


def test_page_title_and_followable_links() -> None:
    html = page_html("crawl/index.html", "http://localhost:9")
    page = extract_page(html, f"{ORIGIN}/site/crawl/index.html")
    assert page.title == "Crawl home"
    assert page.links == [
        f"{ORIGIN}/site/crawl/index.html",
        f"{ORIGIN}/site/crawl/p1.html",
        f"{ORIGIN}/site/crawl/p1b.html",
        f"{ORIGIN}/site/crawl/private/secret.html",
        f"{ORIGIN}/site/crawl/botonly/page.html",
        "http://localhost:9/site/crawl/offsite.html",
        f"{ORIGIN}/site/crawl/missing.html",
        f"{ORIGIN}/site/crawl/data.json",
    ]


def test_empty_and_broken_documents_give_nothing() -> None:
    assert extract_images("", "https://ex.com/") == []
    assert extract_images("<img src=", "https://ex.com/") == []
    assert extract_page("", "https://ex.com/").title is None


def test_image_paths_are_judged_by_extension() -> None:
    assert is_image_path("/a/b.JPEG?x=1")
    assert is_image_path("x.avif#f")
    assert not is_image_path("/a.jpg/page")
    assert not is_image_path("/doc.pdf")
    assert not is_image_path("/noext")
