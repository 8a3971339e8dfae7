"""The validation table of issue 3, case by case, plus time zones and the crawl request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from imgharvest.errors import InputError
from imgharvest.service.schemas import (
    ValidationFailed,
    validate_crawl,
    validate_search,
)
from imgharvest.settings import Settings

NOW = datetime(2030, 6, 15, 12, 0, 30, tzinfo=UTC)


def form(**changes: Any) -> dict[str, Any]:
    """A valid form (tomorrow at 09:30 UTC) with ``changes`` applied; ``None`` drops a key."""
    data: dict[str, Any] = {
        "search-query": "red bicycles",
        "date": "2030-06-16",
        "time": "09:30",
        "email": "ada@example.com",
        "images": "25",
    }
    for key, value in changes.items():
        key = key.replace("_", "-")
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def errors_of(data: dict[str, Any], settings: Settings, now: datetime = NOW) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as info:
        validate_search(data, settings, now)
    return info.value.errors


@pytest.fixture
def cfg() -> Settings:
    return Settings(_env_file=None, secret_key="x")


def test_all_fields_valid_in_the_future(cfg: Settings) -> None:
    req = validate_search(form(), cfg, NOW)
    assert req.query == "red bicycles"
    assert req.run_at == datetime(2030, 6, 16, 9, 30, tzinfo=UTC)
    assert req.email == "ada@example.com"
    assert req.count == 25
    assert req.tz == "UTC"


def test_empty_search_query(cfg: Settings) -> None:
    assert errors_of(form(search_query="  "), cfg) == {"search-query": "search query is required"}


def test_missing_search_query_key(cfg: Settings) -> None:
    assert errors_of(form(search_query=None), cfg) == {"search-query": "search query is required"}


def test_empty_date(cfg: Settings) -> None:
    assert errors_of(form(date=""), cfg) == {"date": "date is required"}


def test_date_before_today(cfg: Settings) -> None:
    assert errors_of(form(date="2030-06-14"), cfg) == {"date": "date/time is in the past"}


def test_empty_time(cfg: Settings) -> None:
    assert errors_of(form(time=""), cfg) == {"time": "time is required"}


def test_today_time_minutes_ago(cfg: Settings) -> None:
    assert errors_of(form(date="2030-06-15", time="11:55"), cfg) == {
        "date": "date/time is in the past"
    }


def test_today_this_minute_is_accepted(cfg: Settings) -> None:
    req = validate_search(form(date="2030-06-15", time="12:00"), cfg, NOW)
    assert req.run_at == datetime(2030, 6, 15, 12, 0, tzinfo=UTC)


def test_empty_email(cfg: Settings) -> None:
    assert errors_of(form(email=""), cfg) == {"email": "email is required"}


def test_invalid_email(cfg: Settings) -> None:
    assert errors_of(form(email="wsq.wee@"), cfg) == {"email": "email is invalid"}


def test_empty_number_of_images(cfg: Settings) -> None:
    assert errors_of(form(images=""), cfg) == {"images": "number of images is required"}


@pytest.mark.parametrize("value", ["-1", "0", -1, 0])
def test_number_not_positive(cfg: Settings, value: Any) -> None:
    assert errors_of(form(images=value), cfg) == {
        "images": "number of images must be greater than 0"
    }


def test_number_above_default_maximum(cfg: Settings) -> None:
    assert cfg.max_images == 500
    assert errors_of(form(images="501"), cfg) == {
        "images": "number of images cannot be greater than 500"
    }


def test_number_at_maximum_is_accepted(cfg: Settings) -> None:
    assert validate_search(form(images=500), cfg, NOW).count == 500


def test_number_not_a_number(cfg: Settings) -> None:
    assert errors_of(form(images="ten"), cfg) == {
        "images": "number of images must be a whole number"
    }


def test_all_errors_reported_at_once(cfg: Settings) -> None:
    bad = {"search-query": "", "date": "", "time": "", "email": "wsq.wee@", "images": "0"}
    assert set(errors_of(bad, cfg)) == {"search-query", "date", "time", "email", "images"}


def test_validation_failed_is_an_input_error(cfg: Settings) -> None:
    with pytest.raises(InputError) as info:
        validate_search(form(email=""), cfg, NOW)
    assert info.value.field == "email"
    assert "email is required" in str(info.value)


def test_malformed_date_and_time(cfg: Settings) -> None:
    errors = errors_of(form(date="16/06/2030", time="9h30"), cfg)
    assert errors == {
        "date": "date is not a valid date (YYYY-MM-DD)",
        "time": "time is not a valid time (HH:MM)",
    }


def test_query_whitespace_collapsed_and_bounded(cfg: Settings) -> None:
    assert validate_search(form(search_query=" red \n bikes "), cfg, NOW).query == "red bikes"
    assert "longer than" in errors_of(form(search_query="x" * 201), cfg)["search-query"]


def test_email_normalised_domain(cfg: Settings) -> None:
    assert validate_search(form(email="Ada@Example.COM"), cfg, NOW).email == "Ada@example.com"


# -- time zones ------------------------------------------------------------


def test_browser_tz_is_used(cfg: Settings) -> None:
    req = validate_search(form(tz="Asia/Tokyo"), cfg, NOW)
    assert req.run_at == datetime(2030, 6, 16, 0, 30, tzinfo=UTC)
    assert req.tz == "Asia/Tokyo"


def test_settings_timezone_when_no_tz() -> None:
    cfg = Settings(_env_file=None, timezone="America/New_York")
    req = validate_search(form(), cfg, NOW)
    assert req.run_at == datetime(2030, 6, 16, 13, 30, tzinfo=UTC)


def test_past_is_judged_in_the_given_zone(cfg: Settings) -> None:
    # 11:00 on 15 June is future in New York (15:00 UTC) but past in UTC.
    assert validate_search(form(date="2030-06-15", time="11:00", tz="America/New_York"), cfg, NOW)
    assert errors_of(form(date="2030-06-15", time="11:00"), cfg) == {
        "date": "date/time is in the past"
    }


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "Europe"])
def test_bad_tz_is_an_error_on_tz(cfg: Settings, zone: str) -> None:
    errors = errors_of(form(tz=zone), cfg)
    assert list(errors) == ["tz"]
    assert "unknown" in errors["tz"]


def test_run_at_is_utc(cfg: Settings) -> None:
    req = validate_search(form(tz="Europe/Berlin"), cfg, NOW)
    assert req.run_at.utcoffset() == timedelta(0)


# -- optional search fields ------------------------------------------------


def test_sources_and_minimum_size(cfg: Settings) -> None:
    req = validate_search(
        form(sources="Bing, wikimedia,bing", min_width="800", min_height=600), cfg, NOW
    )
    assert req.sources == ("bing", "wikimedia")
    assert (req.min_width, req.min_height) == (800, 600)


def test_unknown_source(cfg: Settings) -> None:
    assert "unknown source 'altavista'" in errors_of(form(sources=["altavista"]), cfg)["sources"]


def test_form_values_round_trip(cfg: Settings) -> None:
    req = validate_search(form(tz="Europe/Paris", sources="openverse"), cfg, NOW)
    again = validate_search({**req.form_values(), "date": "2030-06-16", "time": "09:30"}, cfg, NOW)
    assert again == req


# -- crawl -----------------------------------------------------------------


def test_crawl_defaults_run_now(cfg: Settings) -> None:
    req = validate_crawl({"urls": "http://a.test/x\n\nhttps://b.test/\nhttp://a.test/x"}, cfg, NOW)
    assert req.urls == ["http://a.test/x", "https://b.test/"]
    assert req.run_at == NOW
    assert (req.email, req.depth, req.download, req.count) == (None, 0, False, 0)  # 0: all


def test_crawl_json_list_and_options(cfg: Settings) -> None:
    data = {"urls": ["https://a.test/"], "download": True, "images": 10, "depth": "1"}
    req = validate_crawl({**data, "email": "x@example.org"}, cfg, NOW)
    assert (req.download, req.count, req.depth, req.email) == (True, 10, 1, "x@example.org")


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        ("", "page URLs are required"),
        ("ftp://a.test/x", "is not an http(s) URL"),
        ("javascript:alert(1)", "is not an http(s) URL"),
        ("http:///nohost", "is not an http(s) URL"),
        ("\n".join(f"http://a.test/{i}" for i in range(101)), "at most 100"),
    ],
)
def test_crawl_bad_urls(cfg: Settings, urls: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_crawl({"urls": urls}, cfg, NOW)
    assert message in info.value.errors["urls"]


def test_crawl_errors_collected(cfg: Settings) -> None:
    data = {"urls": "", "email": "nope@", "depth": "9", "date": "2030-06-16"}
    with pytest.raises(ValidationFailed) as info:
        validate_crawl(data, cfg, NOW)
    assert info.value.errors == {
        "urls": "page URLs are required (one per line)",
        "email": "email is invalid",
        "depth": "depth cannot be greater than 3",
        "time": "time is required",
    }


TIMES = [("1:45", 1, 45), ("01:45", 1, 45), ("9:05", 9, 5), ("23:59", 23, 59)]


@pytest.mark.parametrize(("raw", "hour", "minute"), TIMES)
def test_time_takes_h_mm_like_the_original_form(
    cfg: Settings, raw: str, hour: int, minute: int
) -> None:
    req = validate_search(form(time=raw), cfg, NOW)
    assert req.run_at == datetime(2030, 6, 16, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["1:5", "123:45", "1:45pm", "25:00", ":45"])
def test_time_still_refuses_other_shapes(cfg: Settings, raw: str) -> None:
    assert errors_of(form(time=raw), cfg) == {"time": "time is not a valid time (HH:MM)"}


def test_start_now_replaces_date_and_time(cfg: Settings) -> None:
    req = validate_search(form(date=None, time=None, start_now="on"), cfg, NOW)
    assert req.run_at == NOW
    assert errors_of(form(date=None, time=None), cfg) == {
        "date": "date is required", "time": "time is required",
    }  # fmt: skip


def test_scheduled_at_most_a_year_ahead(cfg: Settings) -> None:
    assert validate_search(form(date="2031-06-15"), cfg, NOW).run_at.year == 2031
    assert errors_of(form(date="2031-07-20"), cfg) == {
        "date": "date/time is more than a year ahead"
    }
    with pytest.raises(ValidationFailed) as info:
        validate_crawl({"urls": "http://a.test/", "date": "2032-01-01", "time": "10:00"}, cfg, NOW)
    assert info.value.errors == {"date": "date/time is more than a year ahead"}


def test_the_api_may_omit_the_address_the_form_may_not(cfg: Settings) -> None:
    assert validate_search(form(email=None), cfg, NOW, email_required=False).email is None
    assert errors_of(form(email=None), cfg) == {"email": "email is required"}
