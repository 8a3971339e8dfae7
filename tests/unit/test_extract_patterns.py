"""Acceptance 1, 2 and 7 of issue 19: one hand-built page per markup pattern, each with a
reference answer (``NAME.images.json``, the same form as the real-page bench reads) written
from the markup, not from the extractor's output.

Every page must give each ``required`` picture once, as its largest copy, with no two
pictures merged into one, nothing ``excluded`` (not even as a fallback), no URL the answer
does not list, and no URL still holding a template placeholder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from imgharvest.browser.crawl import to_page
from imgharvest.browser.render import Rendered, RenderedImage
from imgharvest.extract.page import ImageRef, extract_images

FIXTURES = Path(__file__).parent / "extract_fixtures"
ANSWERS = sorted(p.name.removesuffix(".images.json") for p in FIXTURES.glob("*.images.json"))
TEMPLATE_MARKS = ("{{", "}}", "%7B%7B", "%7b%7b", "%7D%7D", "{", "}")


def answer(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"{name}.images.json").read_text()))


def refs(name: str) -> list[ImageRef]:
    html = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    return extract_images(html, answer(name)["page_url"])


def largest(entry: dict[str, Any]) -> set[str]:
    return {entry["url"], *(c["url"] for c in entry.get("equally_large_copies", []))}


def copies(entry: dict[str, Any]) -> set[str]:
    return largest(entry) | {c["url"] for c in entry.get("smaller_or_other_copies", [])}


def urls(ref: ImageRef) -> set[str]:
    return {ref.url, *ref.fallbacks}


@pytest.mark.parametrize("name", ANSWERS)
def test_each_required_picture_comes_once_as_its_largest_copy(name: str) -> None:
    found = refs(name)
    for entry in answer(name)["required"]:
        holders = [r for r in found if urls(r) & copies(entry)]
        assert len(holders) == 1, (entry["url"], [r.url for r in holders])
        assert holders[0].url in largest(entry), (entry["url"], holders[0].url)


@pytest.mark.parametrize("name", ANSWERS)
def test_no_two_pictures_are_merged(name: str) -> None:
    required = answer(name)["required"]
    for ref in refs(name):
        held = [e["url"] for e in required if urls(ref) & copies(e)]
        assert len(held) <= 1, held


@pytest.mark.parametrize("name", ANSWERS)
def test_nothing_excluded_unlisted_or_unfilled(name: str) -> None:
    page = answer(name)
    listed = set().union(*(copies(e) for e in page["required"] + page["optional"]))
    excluded = set().union(set(), *(copies(e) for e in page["excluded"]))
    reported = set().union(*(urls(r) for r in refs(name)))
    assert reported
    assert reported & excluded == set()
    assert reported - listed == set()
    assert [u for u in reported if any(mark in u for mark in TEMPLATE_MARKS)] == []


def test_every_pattern_of_issue_19_has_a_page() -> None:
    assert ANSWERS == [
        "blurred-preview", "frz-src-array", "interchange", "lazy-attributes", "numeric-names",
        "picture", "picture-placeholder", "preload", "slideshow", "style-names", "template",
        "wordpress-copies",
    ]  # fmt: skip


def test_numeric_names_keep_every_picture() -> None:
    """Acceptance 1: a page of 14 pictures named by number gives 14 pictures."""
    assert len(refs("numeric-names")) == len(answer("numeric-names")["required"]) == 14


def test_a_picture_choice_is_explained_and_unsized_groups_are_marked() -> None:
    """Each picture with copies says what chose its largest; only those no size told apart
    are left to measuring (the pipeline's header probe)."""
    chosen = {r.url.rsplit("/", 1)[-1]: (r.chosen, r.unsized) for r in refs("picture")}
    assert chosen["heron-1920.jpg"] == ("stated width", False)
    assert chosen["940.jpg"] == ("markup hint", True)
    single = refs("numeric-names")[0]
    assert (single.chosen, single.unsized, single.fallbacks) == ("", False, ())


def test_a_rendered_page_adds_only_what_the_static_answer_does_not_name() -> None:
    """The ``<picture>`` source a narrow browser window chose is a copy of the picture the
    static answer already gives as its largest, not another picture; a script's own image
    is still added, a placeholder the browser showed is not."""
    html = (FIXTURES / "picture-placeholder.html").read_text(encoding="utf-8")
    page_url = answer("picture-placeholder")["page_url"]
    narrow = RenderedImage("https://cdn.news.example/p/q/cat.jpg", "", "", "Cat", 420, 300)
    scripted = RenderedImage("https://cdn.news.example/js/added.jpg", "", "", "", 800, 600)
    stand_in = RenderedImage("https://cdn.news.example/static/placeholder.gif", "", "", "", 1, 1)
    page = to_page(Rendered(page_url, 200, "t", html, [narrow, scripted, stand_in]))
    assert [r.url for r in page.images] == [
        "https://cdn.news.example/js/added.jpg",
        "https://cdn.news.example/p/r/cat.jpg",
        "https://cdn.news.example/p/dog-1600.jpg",
    ]


def test_a_background_an_element_names_is_not_a_copy_of_its_image() -> None:
    html = """<div data-bg="https://cdn.example/hero/sky.jpg"><img src="/logo/mark.png"></div>
    <div data-slide-src="https://cdn.example/s/big/one.jpg"><img src="/t/one-thumb.jpg"></div>"""
    found = [[r.url, *r.fallbacks] for r in extract_images(html, "https://site.example/")]
    assert found == [
        ["https://cdn.example/hero/sky.jpg"],
        ["https://site.example/logo/mark.png"],
        ["https://cdn.example/s/big/one.jpg", "https://site.example/t/one-thumb.jpg"],
    ]


def test_a_preview_is_drawn_small_or_blurred_and_never_a_fallback() -> None:
    html = """<img src="/a/one.jpg" class="blurb-photo"><noscript><img src="/b/one.jpg"></noscript>
    <img src="/a/two.jpg" class="lazy blur-up"><noscript><img src="/b/two.jpg"></noscript>
    <img src="/a/six.jpg" width="64"><noscript><img src="/b/six.jpg"></noscript>"""
    found = [[r.url, *r.fallbacks] for r in extract_images(html, "https://site.example/")]
    assert found == [
        ["https://site.example/b/one.jpg", "https://site.example/a/one.jpg"],  # "blurb" is prose
        ["https://site.example/b/two.jpg"],
        ["https://site.example/b/six.jpg"],
    ]
