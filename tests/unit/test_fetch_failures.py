"""A request that got no answer is a ``FetchError`` naming its host, even for a URL whose host
yarl cannot parse (a port out of range raised ValueError while the error was being made)."""

from __future__ import annotations

from imgharvest.pipeline.fetch import _no_answer
from imgharvest.pipeline.records import Reason


def test_no_answer_for_a_url_with_a_port_out_of_range() -> None:
    error = _no_answer("http://a.test:99999/robots.txt", ValueError("Port out of range"))
    assert error.url == "http://a.test:99999/robots.txt" and error.host == ""
    assert error.reason in set(Reason)


def test_no_answer_names_the_host_it_can_read() -> None:
    assert _no_answer("http://a.test:8080/x", TimeoutError()).host == "a.test"
