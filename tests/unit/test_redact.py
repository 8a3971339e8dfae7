"""Log lines without the query; reasons and licences in words."""

from __future__ import annotations

import time
from collections import Counter

from imgharvest import licences
from imgharvest.redact import MASK, mask_query_strings, redact, terms
from imgharvest.service import reasons


def test_the_query_is_masked_in_every_url_spelling() -> None:
    hidden = terms({"query": "Red Fox & cubs"})
    for line in (
        "bing: page 1 of red fox & cubs",
        "GET https://x.test/search?q=Red+Fox+%26+cubs&first=1",
        "GET https://x.test/search/Red%20Fox%20%26%20cubs",
    ):
        masked = redact(line, hidden)
        assert MASK in masked and "fox" not in masked.lower(), masked


def test_short_or_missing_queries_hide_nothing() -> None:
    assert terms({"urls": ["http://a.test/"]}) == [] and terms({"query": "ox"}) == []
    assert redact("an ox", terms({"query": "ox"})) == "an ox"


def test_reasons_in_words_biggest_first() -> None:
    rejected = Counter({"not_image": 2, "duplicate_exact": 5, "http_error": 0, "new_code": 1})
    assert reasons.sentence(rejected) == "5 exact duplicates, 2 not an image, 1 new code"
    assert reasons.sentence({}) == ""


def test_nothing_kept_says_why() -> None:
    text = reasons.nothing_kept(12, {"bing": "bing: blocked (HTTP 403)"})
    assert text == (
        "no image could be kept from 12 candidates; source failures: bing: blocked (HTTP 403)"
    )
    assert reasons.nothing_kept(0, {}).startswith("no image was found")


def test_licence_summary_groups_families() -> None:
    rows = [{"licence": name} for name in
            ["CC BY 2.0", "CC BY 4.0", "CC BY-SA 4.0", "CC0 1.0", "Public Domain Mark 1.0",
             "", "", "Pexels License"]]  # fmt: skip
    assert licences.sentence(rows) == (
        "2 CC BY, 2 public domain, 1 CC BY-SA, 1 Pexels License, 2 unknown"
    )


def test_urls_lose_their_query_string_and_fragment_anywhere_in_a_line() -> None:
    cases = {
        "pages: 5 image links on https://h.test/g?visitor=carol&x=1": (
            "pages: 5 image links on https://h.test/g?[…]"
        ),
        "pages: 'https://h.test/g?token=abc' skipped": "pages: 'https://h.test/g?[…]' skipped",
        "see (http://h.test/a#access_token=abc).": "see (http://h.test/a#[…]).",
        "GET http://h.test/a, then http://h.test/b?q=1": "GET http://h.test/a, then http://h.test/b?[…]",
        "is it? yes: http://h.test/plain": "is it? yes: http://h.test/plain",
    }  # fmt: skip
    for line, expected in cases.items():
        assert mask_query_strings(line) == expected


def test_the_most_hostile_megabyte_of_log_text_is_masked_in_linear_time() -> None:
    for text in ("a://?" * 200_000, ("h://" + "?" * 1000 + " ") * 1000, "x" * 2**20 + "://?"):
        started = time.perf_counter()
        assert "?[…]" in mask_query_strings(text)
        assert time.perf_counter() - started < 1.0
