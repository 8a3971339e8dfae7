"""When a job runs: the form's ``date`` and ``time`` (never in the past), the API's ``run_at``
(a time in the past means now), and the one bound both share (at most a year ahead)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from imgharvest.errors import InputError
from imgharvest.service.fields import checked_text

T = TypeVar("T")

# Far enough for any real schedule, near enough that no zone or offset overflows a datetime.
MAX_AHEAD = timedelta(days=366)
# A form's time has minute precision; "now" picked a few seconds late is not "the past".
PAST_GRACE = timedelta(seconds=60)
# The original form accepted "1:45" as well as "01:45" (and seconds).
SHORT_TIME = re.compile(r"^(\d):(\d\d(?::\d\d)?)$")
MAX_RUN_AT = 64


class Checker(Protocol):
    """Runs one field's parser and records its failure (``schemas.FieldErrors``)."""

    def check(self, field: str, parse: Callable[[], T]) -> T | None: ...


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    text = "" if value is None else checked_text(key, value).strip()
    if not text:
        raise InputError(key, f"{key} is required")
    return text


def _iso(data: Mapping[str, Any], key: str, parse: Callable[[str], T], shape: str) -> T:
    raw = _text(data, key)
    try:
        return parse(raw)
    except ValueError:
        raise InputError(key, f"{key} is not a valid {key} ({shape})") from None


def parse_time(raw: str) -> time:
    """``HH:MM`` or ``H:MM`` (optionally with seconds), as the original form accepted."""
    short = SHORT_TIME.match(raw)
    return time.fromisoformat(f"0{short[1]}:{short[2]}" if short else raw)


def not_past(run_at: datetime, now: datetime) -> datetime:
    """``run_at`` as UTC, if it is neither in the past nor more than a year ahead."""
    try:
        at = run_at.astimezone(UTC)
    except OverflowError:
        raise InputError("date", "date/time is out of range") from None
    if at < now - PAST_GRACE:
        raise InputError("date", "date/time is in the past")
    if at > now + MAX_AHEAD:
        raise InputError("date", "date/time is more than a year ahead")
    return at


def parse_run_at(
    data: Mapping[str, Any], errors: Checker, zone: ZoneInfo | None, now: datetime
) -> datetime | None:
    """``date`` + ``time`` in ``zone`` as aware UTC; problems go to ``errors``."""
    day = errors.check("date", lambda: _iso(data, "date", date.fromisoformat, "YYYY-MM-DD"))
    at = errors.check("time", lambda: _iso(data, "time", parse_time, "HH:MM"))
    if day is None or at is None or zone is None:
        return None
    local = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)
    return errors.check("date", lambda: not_past(local, now))


def api_run_at(value: object, zone: str, now: datetime) -> datetime:
    """The API's ``run_at``: ISO 8601 (without an offset, in ``zone``) as aware UTC; a time
    in the past means now (a client's clock or queue may lag); more than a year ahead, or
    empty, is ``InputError``."""
    text = checked_text("run_at", value)
    if not text.strip():
        raise InputError("run_at", "run_at is empty: leave it out to start now")
    if len(text) > MAX_RUN_AT:
        raise InputError("run_at", f"run_at is longer than {MAX_RUN_AT} characters")
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError("run_at", "run_at is not an ISO 8601 date-time") from None
    at = at if at.tzinfo else at.replace(tzinfo=ZoneInfo(zone))
    try:
        utc = at.astimezone(UTC)
    except OverflowError:
        utc = now if at.year == 1 else now + MAX_AHEAD * 2  # beyond either end of the calendar
    if utc > now + MAX_AHEAD:
        raise InputError("run_at", "date/time is more than a year ahead")
    return max(utc, now.astimezone(UTC))
