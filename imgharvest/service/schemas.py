"""Job requests and their validation: one validator for the form, ``POST /jobs`` JSON and the API.

Field names are the form's (DESIGN §6): ``search-query``, ``date``, ``time``,
``email``, ``images`` and the hidden ``tz``. Every bad field is reported at
once in ``ValidationFailed.errors`` (field -> message naming the cause).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from imgharvest import licences
from imgharvest.errors import InputError
from imgharvest.settings import Settings
from imgharvest.sources import MODULES

T = TypeVar("T")

MAX_QUERY_LENGTH = 200
MAX_CRAWL_URLS = 100
MAX_URL_LENGTH = 2048
MAX_DEPTH = 3
MAX_DIMENSION = 20_000
MAX_SOURCES = 20
# Far enough for any real schedule, near enough that no zone or offset overflows a datetime.
MAX_AHEAD = timedelta(days=366)
# Only ASCII decimal integers are numbers: no other scripts' digits, no " 5 ", no 5.0, no booleans.
DIGITS = re.compile(r"-?[0-9]{1,12}")
FLAGS = {"": False, "0": False, "false": False, "off": False, "no": False,
         "1": True, "true": True, "on": True, "yes": True}  # fmt: skip
# A form's time has minute precision; "now" picked a few seconds late is not "the past".
PAST_GRACE = timedelta(seconds=60)
START_NOW = "start-now"
ALL_IMAGES = 0
# The original form accepted "1:45" as well as "01:45" (and seconds).
SHORT_TIME = re.compile(r"^(\d):(\d\d(?::\d\d)?)$")
SEARCH_SOURCES = tuple(name for name in MODULES if name != "pages")
# Every job delivers one zip: "dir" would be the same as "zip" there.
WEB_FORMATS = ("zip", "imagefolder", "webdataset", "parquet")


class ValidationFailed(InputError):
    """One or more request fields are invalid; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(field, message)
        self.errors = dict(errors)

    def __str__(self) -> str:
        return "; ".join(f"{field}: {message}" for field, message in self.errors.items())


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A valid search job request; ``run_at`` is an aware UTC datetime."""

    query: str
    run_at: datetime
    email: str | None
    count: int
    sources: tuple[str, ...] = ()
    min_width: int = 0
    min_height: int = 0
    tz: str = "UTC"
    format: str = "zip"
    max_side: int = 0
    licence: str = "any"

    def form_values(self) -> dict[str, str]:
        """The request as form fields (pre-fills the form, e.g. for a re-submit link)."""
        values = {"search-query": self.query, "images": str(self.count), "tz": self.tz}
        if self.email:
            values["email"] = self.email
        if self.sources:
            values["sources"] = ",".join(self.sources)
        return values | dataset_values(self.format, self.max_side, self.licence)


def dataset_values(fmt: str, max_side: int, licence: str) -> dict[str, str]:
    """The dataset options as form fields, only those that differ from the defaults."""
    values = {"format": fmt, "max-side": str(max_side or ""), "licence": licence}
    defaults = {"format": "zip", "max-side": "", "licence": "any"}
    return {k: v for k, v in values.items() if v != defaults[k]}


@dataclass(frozen=True, slots=True)
class CrawlRequest:
    """A valid crawl job request: every image link on ``urls`` (and the images if ``download``)."""

    urls: list[str]
    run_at: datetime
    email: str | None = None
    depth: int = 0
    download: bool = False
    count: int = 0
    tz: str = "UTC"
    render: bool = False
    follow: str = ""


class FieldErrors(dict[str, str]):
    """Collects field errors; ``check`` runs one field's parser and records its failure."""

    def check(self, field: str, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except InputError as exc:
            self.setdefault(exc.field or field, exc.message)
            return None

    def raise_if_any(self) -> None:
        if self:
            raise ValidationFailed(dict(self))


def checked_text(key: str, value: object, label: str | None = None) -> str:
    """``value`` as text: a string with no NUL and no lone surrogate, else ``InputError``."""
    name = label or key
    if not isinstance(value, str):
        raise InputError(key, f"{name} must be text")
    if "\x00" in value:
        raise InputError(key, f"{name} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(key, f"{name} contains an invalid character (lone surrogate)") from None
    return value


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else checked_text(key, value).strip()


def _required(data: Mapping[str, Any], key: str, label: str) -> str:
    value = _text(data, key)
    if not value:
        raise InputError(key, f"{label} is required")
    return value


def parse_query(data: Mapping[str, Any]) -> str:
    """The search query: required, one line, bounded length."""
    query = " ".join(_required(data, "search-query", "search query").split())
    if len(query) > MAX_QUERY_LENGTH:
        raise InputError(
            "search-query", f"search query is longer than {MAX_QUERY_LENGTH} characters"
        )
    return query


def parse_email(data: Mapping[str, Any], required: bool = True) -> str | None:
    """The requester's address, normalised; syntax only (no DNS lookups)."""
    raw = _text(data, "email")
    if not raw:
        if required:
            raise InputError("email", "email is required")
        return None
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InputError("email", "email is invalid") from None


def parse_int(
    data: Mapping[str, Any], key: str, label: str, low: int, high: int, default: int | None = None
) -> int:
    """A whole number in ``[low, high]``; missing is an error unless ``default`` is given."""
    value = _whole(data.get(key), key, label)
    if value is None:
        if default is None:
            raise InputError(key, f"{label} is required")
        return default
    if value < low:
        bound = "greater than 0" if low == 1 else f"at least {low}"
        raise InputError(key, f"{label} must be {bound}")
    if value > high:
        raise InputError(key, f"{label} cannot be greater than {high}")
    return value


def _whole(raw: object, key: str, label: str) -> int | None:
    """A JSON integer or a string of ASCII digits; None when absent or blank."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and DIGITS.fullmatch(checked_text(key, raw, label)):
        return int(raw)
    raise InputError(key, f"{label} must be a whole number")


def parse_tz(data: Mapping[str, Any], settings: Settings) -> ZoneInfo:
    """The browser's IANA zone from ``tz``, else ``TIMEZONE``."""
    name = _text(data, "tz") or settings.timezone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InputError("tz", f"time zone {name[:64]!r} is unknown") from None


def _iso(data: Mapping[str, Any], key: str, parse: Callable[[str], T], shape: str) -> T:
    raw = _required(data, key, key)
    try:
        return parse(raw)
    except ValueError:
        raise InputError(key, f"{key} is not a valid {key} ({shape})") from None


def not_past(run_at: datetime, now: datetime, field: str = "date") -> datetime:
    """``run_at`` in UTC if it is neither past nor more than a year ahead (else ``field``'s
    error)."""
    try:
        at = run_at.astimezone(UTC)
    except OverflowError:
        raise InputError(field, "date/time is out of range") from None
    if at < now - PAST_GRACE:
        raise InputError(field, "date/time is in the past")
    if at > now + MAX_AHEAD:
        raise InputError(field, "date/time is more than a year ahead")
    return at


def parse_time(raw: str) -> time:
    """``HH:MM`` or ``H:MM`` (optionally with seconds), as the original form accepted."""
    short = SHORT_TIME.match(raw)
    return time.fromisoformat(f"0{short[1]}:{short[2]}" if short else raw)


def parse_run_at(
    data: Mapping[str, Any], errors: FieldErrors, zone: ZoneInfo | None, now: datetime
) -> datetime | None:
    """``date`` + ``time`` in ``zone`` as aware UTC; problems go to ``errors``."""
    day = errors.check("date", lambda: _iso(data, "date", date.fromisoformat, "YYYY-MM-DD"))
    at = errors.check("time", lambda: _iso(data, "time", parse_time, "HH:MM"))
    if day is None or at is None or zone is None:
        return None
    local = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)
    return errors.check("date", lambda: not_past(local, now))


def parse_sources(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Optional source names (comma-separated text or a list), each a known search source."""
    raw = data.get("sources") or ()
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list | tuple) or len(raw) > MAX_SOURCES:
        message = f"sources must be a list of at most {MAX_SOURCES} source names"
        raise InputError("sources", message)
    items = [checked_text("sources", item, "a source name") for item in raw]
    names = tuple(dict.fromkeys(item.strip().lower() for item in items if item.strip()))
    unknown = [name for name in names if name not in SEARCH_SOURCES]
    if unknown:
        known = ", ".join(SEARCH_SOURCES)
        raise InputError("sources", f"unknown source {unknown[0][:40]!r} (known: {known})")
    return names


def _search_run_at(
    data: Mapping[str, Any], errors: FieldErrors, zone: ZoneInfo | None, now: datetime
) -> datetime | None:
    # "Start now" (a form switch) replaces date and time; without it both are required.
    if parse_flag(data, START_NOW):
        return now.astimezone(UTC)
    return parse_run_at(data, errors, zone, now)


def validate_search(
    data: Mapping[str, Any], settings: Settings, now: datetime, *, email_required: bool = True
) -> SearchRequest:
    """A ``SearchRequest`` from form/JSON fields, or ``ValidationFailed`` naming every bad field.

    The form requires an address (the link is emailed); the API may omit it.
    """
    errors = FieldErrors()
    query = errors.check("search-query", lambda: parse_query(data))
    zone = errors.check("tz", lambda: parse_tz(data, settings))
    run_at = _search_run_at(data, errors, zone, now)
    email = errors.check("email", lambda: parse_email(data, required=email_required))
    count = errors.check(
        "images", lambda: parse_int(data, "images", "number of images", 1, settings.max_images)
    )
    sources = errors.check("sources", lambda: parse_sources(data))
    min_w = errors.check("min-width", lambda: _dimension(data, "min-width", "minimum width"))
    min_h = errors.check("min-height", lambda: _dimension(data, "min-height", "minimum height"))
    fmt = errors.check("format", lambda: parse_format(data))
    max_side = errors.check("max-side", lambda: _dimension(data, "max-side", "maximum side"))
    licence = errors.check("licence", lambda: parse_licence(data))
    errors.raise_if_any()
    assert query and run_at and count and zone and sources is not None
    assert fmt and licence
    return SearchRequest(
        query, run_at, email, count, sources, min_w or 0, min_h or 0, zone.key,
        fmt, max_side or 0, licence,
    )  # fmt: skip


def parse_format(data: Mapping[str, Any]) -> str:
    """The delivery format (a zip of it); parquet only where pyarrow is installed."""
    value = _text(data, "format").lower() or "zip"
    if value not in WEB_FORMATS:
        raise InputError("format", f"format must be one of {', '.join(WEB_FORMATS)}")
    if value == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise InputError("format", "parquet is not available on this server (needs pyarrow)")
    return value


def parse_licence(data: Mapping[str, Any]) -> str:
    """The licence policy: ``any``, ``open`` or ``commercial``."""
    value = (_text(data, "licence") or _text(data, "license")).lower() or "any"
    if value not in licences.POLICIES:
        raise InputError("licence", f"licence must be one of {', '.join(licences.POLICIES)}")
    return value


def _dimension(data: Mapping[str, Any], key: str, label: str) -> int:
    return parse_int(data, key, label, 0, MAX_DIMENSION, default=0)


def _check_url(line: str) -> str:
    parts = urlsplit(line)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError("urls", f"{line[:80]!r} is not an http(s) URL")
    if len(line) > MAX_URL_LENGTH:
        raise InputError("urls", f"a URL is longer than {MAX_URL_LENGTH} characters")
    return line


def parse_urls(data: Mapping[str, Any]) -> list[str]:
    """Page URLs, one per line (or a JSON list): http/https only, de-duplicated, bounded."""
    raw = data.get("urls") or ""
    if not isinstance(raw, str | list | tuple):
        raise InputError("urls", "urls must be page URLs: text, one per line, or a list")
    lines = checked_text("urls", raw).splitlines() if isinstance(raw, str) else raw
    lines = [checked_text("urls", line, "a page URL") for line in lines]
    urls = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if not urls:
        raise InputError("urls", "page URLs are required (one per line)")
    if len(urls) > MAX_CRAWL_URLS:
        raise InputError("urls", f"at most {MAX_CRAWL_URLS} page URLs per job")
    return [_check_url(url) for url in urls]


def parse_flag(data: Mapping[str, Any], key: str) -> bool:
    """A checkbox or JSON boolean: true/on/1/yes is true, false/off/0/no or absent is false."""
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    flag = FLAGS.get(value.strip().lower()) if isinstance(value, str) else None
    if flag is None:
        raise InputError(key, f"{key} must be true or false")
    return flag


def _crawl_run_at(
    data: Mapping[str, Any], errors: FieldErrors, zone: ZoneInfo | None, now: datetime
) -> datetime | None:
    # A crawl may run right away: date and time are optional, but together.
    if not _text(data, "date") and not _text(data, "time"):
        return now.astimezone(UTC)
    return parse_run_at(data, errors, zone, now)


def validate_crawl(data: Mapping[str, Any], settings: Settings, now: datetime) -> CrawlRequest:
    """A ``CrawlRequest`` from form/JSON fields, or ``ValidationFailed`` naming every bad field."""
    errors = FieldErrors()
    urls = errors.check("urls", lambda: parse_urls(data))
    zone = errors.check("tz", lambda: parse_tz(data, settings))
    run_at = _crawl_run_at(data, errors, zone, now)
    email = errors.check("email", lambda: parse_email(data, required=False))
    depth = errors.check("depth", lambda: parse_int(data, "depth", "depth", 0, MAX_DEPTH, 0))
    download = errors.check("download", lambda: parse_flag(data, "download"))
    limit = settings.max_images
    # No maximum means "every image found" (0), up to MAX_IMAGES: never "fewer than asked".
    count = errors.check(
        "images", lambda: parse_int(data, "images", "number of images", 1, limit, ALL_IMAGES)
    )
    render = errors.check("render", lambda: parse_render(data, settings))
    errors.raise_if_any()
    assert urls and run_at and zone and depth is not None and count is not None
    return CrawlRequest(urls, run_at, email, depth, bool(download), count, zone.key, bool(render))


def parse_render(data: Mapping[str, Any], settings: Settings) -> bool:
    """The "render pages" switch; refused, with the reason, when the browser cannot run."""
    if not parse_flag(data, "render"):
        return False
    from imgharvest.browser import unavailable

    why = unavailable(settings)
    if why is not None:
        raise InputError("render", f"rendering needs the browser, which is unavailable: {why}")
    return True
