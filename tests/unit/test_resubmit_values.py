"""Re-submit tokens carry every option of the form they pre-fill, and never an address."""

from __future__ import annotations

from imgharvest.service.resubmit import make_token, read_token

SECRET = "test-secret"


def test_search_token_keeps_the_dataset_options() -> None:
    request = {"query": "red fox", "count": 40, "tz": "Europe/Berlin", "format": "webdataset",
               "max_side": 256, "licence": "open", "email": "a@example.org"}  # fmt: skip
    found = read_token(SECRET, make_token(SECRET, "search", "job1", request))
    assert found is not None and found.values is not None
    assert found.values["format"] == "webdataset"
    assert (found.values["max-side"], found.values["licence"]) == ("256", "open")
    assert "a@example.org" not in str(found.values)


def test_crawl_token_keeps_its_switches() -> None:
    request = {"urls": ["https://u:p@example.org/a"], "download": True, "render": True}
    found = read_token(SECRET, make_token(SECRET, "crawl", "job2", request))
    assert found is not None and found.values is not None
    assert (found.values["download"], found.values["render"]) == ("on", "on")
    assert found.values["urls"] == "https://***@example.org/a"


def test_a_token_signed_with_another_secret_is_refused() -> None:
    assert read_token("other", make_token(SECRET, "crawl", "job3", {"urls": []})) is None
