"""Link lists (issue 19): each picture's largest copy, then its other copies marked ``copy_of``,
each URL once, and never more than a few copies per picture, however many the page names."""

from __future__ import annotations

import time

from bench.links_hostile import SHAPES
from imgharvest.extract.group import MAX_FALLBACKS
from imgharvest.extract.page import extract_page
from imgharvest.pipeline.listing import Link, listed, pictures_of
from imgharvest.sources import pages
from imgharvest.sources.base import Candidate
from imgharvest.sources.pages import page_candidates

PAGE = "https://example.org/gallery.html"


def test_each_picture_comes_first_then_its_copies_marked() -> None:
    one = Candidate("https://x/a-1200.jpg", "pages", fallbacks=("https://x/a-600.jpg",),
                    chosen="stated width")  # fmt: skip
    two = Candidate("https://x/b.jpg", "pages")
    got = listed([one, two], set())
    assert [(link.url, link.copy_of) for link in got] == [
        ("https://x/a-1200.jpg", ""),
        ("https://x/a-600.jpg", "https://x/a-1200.jpg"),
        ("https://x/b.jpg", ""),
    ]
    assert [link.picture for link in got] == [one, one, two]
    assert pictures_of(got) == 2


def test_a_url_listed_before_is_not_listed_again() -> None:
    seen: set[str] = set()
    first = listed([Candidate("https://x/a.jpg", "pages", fallbacks=("https://x/b.jpg",))], seen)
    again = listed([Candidate("https://x/b.jpg", "pages"), Candidate("https://x/c.jpg", "pages",
                    fallbacks=("https://x/a.jpg", "https://x/d.jpg"))], seen)  # fmt: skip
    assert [link.url for link in first] == ["https://x/a.jpg", "https://x/b.jpg"]
    assert again == [Link("https://x/c.jpg", again[0].picture),
                     Link("https://x/d.jpg", again[0].picture, "https://x/c.jpg")]  # fmt: skip
    assert seen == {f"https://x/{n}.jpg" for n in "abcd"}


def test_a_page_naming_a_dozen_sizes_of_a_picture_lists_a_few() -> None:
    sizes = ", ".join(f"/p/cat-{w}.jpg {w}w" for w in range(200, 2600, 200))
    page = extract_page(f'<img src="/p/cat-200.jpg" srcset="{sizes}" alt="Cat">', PAGE)
    got = listed(page_candidates(page), set())
    assert got[0].url == "https://example.org/p/cat-2400.jpg" and got[0].copy_of == ""
    assert len(got) == 1 + MAX_FALLBACKS == 5
    assert {link.copy_of for link in got[1:]} == {got[0].url}


def test_the_hostile_megabyte_of_copies_lists_five_rows_a_picture_at_most() -> None:
    # every picture names a dozen copies: the most rows a byte of page can ask for
    html = SHAPES["srcset copies"](1024 * 1024)
    pictures = page_candidates(extract_page(html, PAGE))
    start = time.process_time()
    rows = listed(pictures, set())
    took = time.process_time() - start
    print(f"1 MiB of copies: {len(pictures)} pictures, {len(rows)} rows, listed in {took:.3f} s")
    assert len(pictures) > 3000 and len(rows) == (1 + MAX_FALLBACKS) * len(pictures)


def test_one_image_link_is_said_in_the_singular() -> None:
    assert pages._links(1) == "1 image link" and pages._links(7) == "7 image links"
