"""The API's ``run_at`` (issue 16, item 13): empty is an error, the past means now, at most a
year ahead; and the form's date and time never in the past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from imgharvest.errors import InputError
from imgharvest.service.when import MAX_AHEAD, api_run_at, not_past

NOW = datetime(2030, 6, 15, 12, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2030-06-15T14:00:00+00:00", datetime(2030, 6, 15, 14, tzinfo=UTC)),
     ("2030-06-15T15:00:00", datetime(2030, 6, 15, 13, tzinfo=UTC)),  # in Europe/Berlin
     ("2019-08-24T14:15:22Z", NOW), ("0001-01-01T00:00:00+14:00", NOW),
     (" 2030-06-15T14:00:00Z ", datetime(2030, 6, 15, 14, tzinfo=UTC))],
)  # fmt: skip
def test_run_at_values(text: str, expected: datetime) -> None:
    assert api_run_at(text, "Europe/Berlin", NOW) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "run_at is empty: leave it out to start now"),
     ("  ", "run_at is empty: leave it out to start now"),
     ("tomorrow", "run_at is not an ISO 8601 date-time"),
     ("9999-12-31T23:59:00-12:00", "date/time is more than a year ahead"),
     ((NOW + MAX_AHEAD + timedelta(minutes=1)).isoformat(), "date/time is more than a year ahead"),
     (5, "run_at must be text"), ("2030\x1b", "run_at contains an ESC character"),
     ("2" * 65, "run_at is longer than 64 characters")],
)  # fmt: skip
def test_run_at_errors(value: object, message: str) -> None:
    with pytest.raises(InputError) as info:
        api_run_at(value, "UTC", NOW)
    assert info.value.message == message


def test_the_form_refuses_the_past() -> None:
    assert not_past(NOW - timedelta(seconds=59), NOW) == NOW - timedelta(seconds=59)
    with pytest.raises(InputError, match="in the past"):
        not_past(NOW - timedelta(minutes=2), NOW)
