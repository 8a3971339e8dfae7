"""Parsing Google's answers: WML ``/imgres`` links, script data triples, block detection."""

from __future__ import annotations

import pytest

from imgharvest.errors import SourceBlocked
from imgharvest.net.http import HttpResponse
from imgharvest.sources.google_answers import check_block, is_thumbnail, parse_wml, strip_xml_prolog
from imgharvest.sources.google_images import parse_grid

WML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<html><body>'
    '<a href="/imgres?imgurl=https%3A%2F%2Fex.com%2Fa%2520b.jpg&amp;imgrefurl=https%3A%2F%2Fex.com'
    '%2Fp&amp;h=800&amp;w=1200&amp;tbnid=AbC123"><img src="https://encrypted-tbn0.gstatic.com/'
    'images?q=tbn:AbC123"></a>'
    '<a href="/imgres?imgurl=https%3A%2F%2Fencrypted-tbn0.gstatic.com%2Fimages%3Fq%3Dtbn%3AX">t</a>'
    '<a href="/search?q=next&amp;start=10">Next</a></body></html>'
)


def test_wml_gives_the_full_image_its_page_and_size_never_a_thumbnail() -> None:
    [found] = parse_wml(WML)
    assert found.url == "https://ex.com/a%20b.jpg"
    assert found.page_url == "https://ex.com/p"
    assert (found.width, found.height) == (1200, 800)
    assert found.title == "a b.jpg" and found.source == "google"


def test_xml_prolog_stripped_up_to_the_first_question_mark_bracket() -> None:
    assert strip_xml_prolog('<?xml version="1.0"?>\n<html>') == "\n<html>"
    assert strip_xml_prolog("<html>?></html>") == "<html>?></html>"


def test_script_data_triples_skip_thumbnails_and_decode_escapes() -> None:
    data = (
        'AF_initDataCallback({data:[["tbn1",["https://encrypted-tbn0.gstatic.com/images?q\\u003d'
        'tbn:1",150,200],["https://ex.com/full.jpg?w\\u003d2000\\u0026h\\u003d1000",1000,2000]]]})'
    )
    [found] = parse_grid([data])
    assert found.url == "https://ex.com/full.jpg?w=2000&h=1000"
    assert (found.width, found.height) == (2000, 1000)


@pytest.mark.parametrize(
    "url",
    ["https://encrypted-tbn0.gstatic.com/images?q=tbn:abc", "https://encrypted-tbn3.gstatic.com/x"],
)
def test_thumbnails_recognised(url: str) -> None:
    assert is_thumbnail(url)
    assert not is_thumbnail("https://upload.example.org/tbn.jpg")


def answer(url: str, status: int, text: str) -> HttpResponse:
    return HttpResponse(url=url, status=status, headers={}, text=text)


RECAPTCHA = '<script src="https://www.google.com/recaptcha/api.js">' + "x" * 3000
WALL = '<noscript><meta content="0;url=/httpservice/retry/enablejs?sei=1">'
WML_URL = "https://www.google.com/wml/search"


@pytest.mark.parametrize(
    ("response", "says"),
    [
        (answer("https://www.google.com/sorry/index?continue=x", 429, "..."), "redirected"),
        (answer("https://sorry.google.com/sorry/", 200, "..."), "redirected"),
        (answer("https://www.google.com/wml/search", 302, ""), "captcha"),
        (answer("https://www.google.com/wml/search", 200, "<a href='/sorry/x'>"), "captcha"),
        (answer(WML_URL, 503, RECAPTCHA), "reCAPTCHA"),
        (answer(WML_URL, 200, WALL), r"blocked \(JavaScript challenge\)"),
    ],
)
def test_blocks_detected(response: HttpResponse, says: str) -> None:
    with pytest.raises(SourceBlocked, match=says):
        check_block("google", response, 1)


def test_a_results_page_is_not_a_block() -> None:
    check_block("google", answer("https://www.google.com/wml/search", 200, WML), 1)
