"""A page's parse budget (issue 16): ordinary markup is parsed whole, and each hostile shape of
markup is read up to where it crosses its budget, with the reason; ``extract_page`` keeps at
most ``budget`` pictures and links, the first in the page's order.

Without the budget the nested shapes below cost the parser minutes (20,000 nested ``<div>``
took a second, 200,000 more than ten minutes); the timeout is what fails then."""

from __future__ import annotations

import pytest

from imgharvest.extract.budget import MAX_ATTRIBUTES, MAX_DEPTH, affordable
from imgharvest.extract.page import ITEMS_PER_LINK, extract_page

MIB = 1024 * 1024
ITEMS = 200_000
URL = "http://example.com/gallery/index.html"


def fill(unit: str, size: int = MIB) -> str:
    return unit * (size // len(unit))


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(fill("<div class=c><img src=/a.jpg alt='a cat'></div>", 200_000), id="cards"),
        pytest.param("<svg>" + "<path d='M0 0'/>" * 20_000 + "</svg>", id="svg-self-closing"),
        pytest.param("<script>" + "var t = '<div><div>';" * 20_000 + "</script>", id="script"),
        pytest.param("<!--" + "<div>" * 20_000 + "-->", id="tags-in-a-comment"),
        pytest.param("<ul>" + "<li><p>item" * 20_000 + "</ul>", id="implied-ends"),
        pytest.param("<div>" * MAX_DEPTH + "<img src=/deep.jpg>", id="nested-to-the-limit"),
    ],
)
def test_ordinary_markup_is_parsed_whole(html: str) -> None:
    assert affordable(html, ITEMS) == (html, None)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("html", "says"),
    [
        pytest.param(fill("<div>"), f"nested more than {MAX_DEPTH} deep", id="nested-div"),
        pytest.param(fill("<section/>"), f"nested more than {MAX_DEPTH} deep", id="div-slash"),
        pytest.param(fill("<span>") + fill("<div>"), "nested more", id="spans-then-divs"),
        pytest.param(fill("<b>"), "nested more", id="unclosed-formatting"),
        pytest.param(
            "<i " + " ".join(f"a{i}" for i in range(20_000)) + ">",
            f"a tag with more than {MAX_ATTRIBUTES:,} attributes",
            id="one-tag-many-attributes",
        ),
        pytest.param(
            fill("<i a b c d e f g h j k l m n o p q></i>", 8 * MIB),
            f"more than {ITEMS:,} tags and attributes",
            id="attribute-heavy",
        ),
        pytest.param(fill("<!---->", 8 * MIB), "more than", id="comments"),
        pytest.param(
            "<div data-html='" + "&lt;div&gt;" * 50_000 + "'>",
            f"more than {MAX_DEPTH} tags in its attributes",
            id="escaped-html-in-an-attribute",
        ),
        pytest.param(
            "<div data-html='>" + "<div>" * 50_000 + "'>",
            f"more than {MAX_DEPTH} tags in its attributes",
            id="html-in-a-quoted-attribute",
        ),
    ],
)
def test_each_hostile_megabyte_is_read_up_to_its_budget(html: str, says: str) -> None:
    kept, why = affordable(html, ITEMS)
    assert why is not None and says in why
    assert len(kept) < len(html) and html.startswith(kept)
    page = extract_page(html, URL, budget=ITEMS // ITEMS_PER_LINK)
    assert page.cut == why


def test_the_markup_before_the_cut_is_read() -> None:
    html = "<img src=/first.jpg>" + fill("<div>", 64 * 1024) + "<img src=/lost.jpg>"
    page = extract_page(html, URL, budget=1_000)
    assert [ref.url for ref in page.images] == ["http://example.com/first.jpg"]
    assert page.cut is not None and "nested" in page.cut


def word(number: int) -> str:
    """A name without digits (pictures named by number are not this test's subject)."""
    return "".join(chr(ord("a") + int(digit)) for digit in str(number))


@pytest.mark.timeout(120)
def test_a_page_of_many_pictures_keeps_the_first_budget_of_them() -> None:
    html = "".join(f"<a href=/p/{word(i)}.html><img src=/img/{word(i)}.jpg></a>"
                   for i in range(30_000))  # fmt: skip
    page = extract_page(html, URL, budget=1_000)
    assert [ref.url for ref in page.images] == [
        f"http://example.com/img/{word(i)}.jpg" for i in range(1_000)
    ]
    assert page.links == [f"http://example.com/p/{word(i)}.html" for i in range(1_000)]
    assert page.cut is not None


def test_without_a_budget_nothing_is_cut() -> None:
    html = "".join(f"<img src=/img/{word(i)}.jpg>" for i in range(3_000))
    page = extract_page(html, URL)
    assert len(page.images) == 3_000 and page.cut is None
