"""Slugs and member names never carry unsanitised user input."""

from __future__ import annotations

import re

import pytest

from imgharvest.naming import index_width, member_name, slugify

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Red Pandas", "red-pandas"),
        ("../../etc/passwd", "etc-passwd"),
        ("<script>alert(1)</script>", "script-alert-1-script"),
        ("Café Ünïcode", "cafe-unicode"),
        ("C:\\Windows\\system32", "c-windows-system32"),
        ("  --Already--Slugged--  ", "already-slugged"),
        ("", "images"),
        ("!!!///...", "images"),
        ("日本語", "images"),
        ("CON", "con-images"),
    ],
)
def test_slugify(text: str, expected: str) -> None:
    assert slugify(text) == expected


def test_slugify_is_cut_without_trailing_dash() -> None:
    slug = slugify("a" * 39 + " bbbb", max_len=40)
    assert slug == "a" * 39
    assert len(slugify("word " * 50)) <= 40


@pytest.mark.parametrize("text", ["..", "a/b\\c", "\x00nul\x00", "x" * 500, "a\nb\tc"])
def test_slugify_output_is_a_plain_token(text: str) -> None:
    assert SLUG.fullmatch(slugify(text))


def test_index_width_grows_past_9999() -> None:
    assert [index_width(n) for n in (0, 1, 9999, 10000, 123456)] == [4, 4, 4, 5, 6]


def test_member_name_sanitises_slug_and_extension() -> None:
    assert member_name(7, 4, "Red Pandas", "JPG") == "images/0007_red-pandas.jpg"
    assert member_name(1, 5, "../../etc/passwd", "png") == "images/00001_etc-passwd.png"
    assert member_name(2, 4, "x", "../sh") == "images/0002_x.bin"
