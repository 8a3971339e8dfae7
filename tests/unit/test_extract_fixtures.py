"""Acceptance 1 of issue 6: one fixture page per markup pattern, each giving exactly the
largest copy of every picture (with its fallbacks), no placeholder and no bogus URL.

The pages and ``expected.json`` (``[url, [fallbacks...]]`` per picture, in page order) are in
``extract_fixtures/``; each line of it was checked by hand against the markup of its page.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imgharvest import extract_images
from imgharvest.extract.junk import placeholder_url
from imgharvest.extract.page import ImageRef

FIXTURES = Path(__file__).parent / "extract_fixtures"
Listing = list[list[str | list[str]]]
EXPECTED: dict[str, Listing] = json.loads((FIXTURES / "expected.json").read_text())
PAGE_URL = "https://pages.example/articles/page.html"
# What a wrong answer would contain: stand-ins, scripts, prose and pages.
NEVER = (
    "blank", "spacer", "transparent", "shim", "leer", "placeholder", "missing", "loading",
    "tracker", "stats.", "beacon.", "rss", "offscreen", "f2e86ed", "1x1", "data:", "/max/60/",
    "eleven", "ten.jpg", ".html", "share-me", "{", "%7B", "%22sizes", "not/an/image", "cursor",
    "button", "commented", "fonts", "/article/42", "/media/eta.jpg",
)  # fmt: skip


def refs(name: str) -> list[ImageRef]:
    return extract_images((FIXTURES / name).read_text(encoding="utf-8"), PAGE_URL)


def found(name: str) -> Listing:
    return [[r.url, list(r.fallbacks)] for r in refs(name)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_gives_exactly_the_largest_copies(name: str) -> None:
    assert found(name) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_has_no_placeholder_or_bogus_url(name: str) -> None:
    urls = [r.url for r in refs(name)] + [u for r in refs(name) for u in r.fallbacks]
    assert urls, name
    assert [u for u in urls if any(bad in u for bad in NEVER) or placeholder_url(u)] == []


def test_every_markup_pattern_has_a_fixture() -> None:
    # pages with a NAME.images.json answer are issue 19's (test_extract_patterns.py)
    pages = [p.name for p in FIXTURES.glob("*.html") if not p.with_suffix(".images.json").exists()]
    assert sorted(pages) == sorted(EXPECTED) == [
        "any-element.html", "css.html", "json-in-attributes.html", "largest-copy.html",
        "no-bogus-urls.html", "placeholders.html",
    ]  # fmt: skip
