"""The fetcher's pure helpers: retry decisions, Retry-After parsing, backoff, header lookups."""

from __future__ import annotations

from email.utils import formatdate
from time import time

import pytest

from imgharvest.pipeline.fetch import CaseInsensitiveHeaders, backoff, retry_after, retryable


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(status: int) -> None:
    assert retryable(status)


@pytest.mark.parametrize("status", [200, 301, 403, 404, 501, 505])
def test_other_statuses_are_final(status: int) -> None:
    assert not retryable(status)


def test_retry_after_reads_seconds() -> None:
    assert retry_after("7") == 7.0
    assert retry_after(" 0 ") == 0.0


def test_retry_after_reads_an_http_date() -> None:
    wait = retry_after(formatdate(time() + 60, usegmt=True))
    assert wait is not None and 55 <= wait <= 61


def test_retry_after_in_the_past_means_now() -> None:
    assert retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "-3", "1.5e3"])
def test_retry_after_ignores_what_it_cannot_read(value: str | None) -> None:
    assert retry_after(value) is None


def test_backoff_grows_and_is_capped() -> None:
    first = [backoff(0, 100.0) for _ in range(50)]
    third = [backoff(2, 100.0) for _ in range(50)]
    assert all(0.25 <= w <= 0.75 for w in first)
    assert all(1.0 <= w <= 3.0 for w in third)
    assert max(backoff(20, 2.5) for _ in range(20)) == 2.5


def test_headers_ignore_case() -> None:
    headers = CaseInsensitiveHeaders({"content-type": "text/html"})
    assert headers["Content-Type"] == headers.get("CONTENT-TYPE") == "text/html"
    assert "Content-Type" in headers
    assert headers.get("Location") is None
