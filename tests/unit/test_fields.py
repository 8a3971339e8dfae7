"""What text and URL fields may hold (issue 16, item 13), and the schema's patterns saying the
same; owner tokens checked as bytes."""

from __future__ import annotations

import re

import pytest

from imgharvest.errors import InputError
from imgharvest.service import owners
from imgharvest.service.fields import (
    TEXT_PATTERN,
    URL_PATTERN,
    checked_text,
    url_problem,
    valid_host,
)

TEXTS = ["red fox", "tab\tand\nlines\r\n", "été", "日本の狐", "emoji 🦊", "\u200fmark", "a\x1bb",
         "\u202eevil", "x\u2069", "\x00", "\x7f", "\x9b[31m", "\u2028sep"]  # fmt: skip


@pytest.mark.parametrize("text", TEXTS)
def test_the_text_pattern_accepts_exactly_what_the_check_accepts(text: str) -> None:
    try:
        checked_text("q", text)
        accepted = True
    except InputError:
        accepted = False
    assert bool(re.fullmatch(TEXT_PATTERN, text)) is accepted


URLS = [
    ("http://example.org/a?b=c#d", None),
    ("HTTPS://Example.ORG:8443/x", None),
    ("http://[2001:db8::1]:80/", None),
    ("http://192.0.2.1/", None),
    ("http://bücher.example/", None),
    ("http://user:pw@example.org/", None),
    ("http://example.org/a b", "contains a space or a control character"),
    ("http://example.org/\ta", "contains a space or a control character"),
    ("http://example.org/\u202e", "contains a space or a control character"),
    ("ftp://example.org/", "is not an http(s) URL"),
    ("http:///path", "is not an http(s) URL"),
    ("example.org/page", "is not an http(s) URL"),
    ("http://exa_mple..org/", "has an invalid host name"),
    ("http://-x.org/", "has an invalid host name"),
    ("HTTP://[", "has an invalid host name"),
    ("http://[2001:db8::1/", "has an invalid host name"),
    ("http://" + "a" * 64 + ".org/", "has an invalid host name"),
    ("http://example.org:65536/", "has a port outside 1-65535"),
    ("http://example.org:0/", "has a port outside 1-65535"),
    ("http://example.org:8a/", "has a port outside 1-65535"),
    ("http://example.org/" + "a" * 2048, "is longer than 2048 characters"),
]


@pytest.mark.parametrize(("url", "why"), URLS)
def test_url_problems(url: str, why: str | None) -> None:
    assert url_problem(url) == why
    if why is None or "space" in why or "http(s)" in why:  # what a pattern can say
        assert bool(re.fullmatch(URL_PATTERN, url)) is (why is None or "http:///" in url)


def test_hosts() -> None:
    assert valid_host("a-b.example") and valid_host("::1") and valid_host("xn--bcher-kva.example")
    assert not valid_host("a" * 250 + ".example") and not valid_host("a..b")


def test_owner_tokens_are_compared_as_bytes() -> None:
    nonce = owners.new_nonce()
    token = owners.derive("secret", nonce)
    assert owners.matches("secret", nonce, token.encode())
    assert not owners.matches("other", nonce, token.encode())
    assert not owners.matches("secret", nonce, "é".encode())  # no TypeError, just no
    assert not owners.matches("secret", None, token.encode())
