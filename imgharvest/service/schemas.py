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
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from imgharvest import licences
from imgharvest.errors import InputError
from imgharvest.service.fields import checked_text, checked_url
from imgharvest.service.when import parse_run_at
from imgharvest.settings import Settings
from imgharvest.sources import MODULES

T = TypeVar("T")

MAX_QUERY_LENGTH = 200
MAX_CRAWL_URLS = 100
MAX_DEPTH = 3
MAX_DIMENSION = 20_000
MAX_SOURCES = 20
# Only ASCII decimal integers are numbers: no other scripts' digits, no " 5 ", no 5.0, no booleans;
# at most 9 digits (leading zeros allowed), as the API schema's pattern says (``NUMBER_PATTERN``).
DIGITS = re.compile(r"-?[0-9]{1,9}")
NUMBER_PATTERN = "^[0-9]{1,9}$"
# A form's checkbox sends text; JSON sends true or false (``typed``), and nothing else.
FLAGS = {"": False, "0": False, "false": False, "off": False, "no": False,
         "1": True, "true": True, "on": True, "yes": True}  # fmt: skip
START_NOW = "start-now"
ALL_IMAGES = 0
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


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else checked_text(key, value, key.replace("-", " ")).strip()


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


def _run_at(
    data: Mapping[str, Any], errors: FieldErrors, zone: ZoneInfo | None, now: datetime,
    typed: bool, optional: bool,
) -> datetime | None:  # fmt: skip
    # "Start now" (a form switch) replaces date and time; a crawl may also leave both out.
    start_now = errors.check(START_NOW, lambda: parse_flag(data, START_NOW, typed))
    left_out = errors.check("date", lambda: not _text(data, "date") and not _text(data, "time"))
    if start_now or (optional and left_out):
        return now.astimezone(UTC)
    return parse_run_at(data, errors, zone, now)


def validate_search(
    data: Mapping[str, Any], settings: Settings, now: datetime, *, email_required: bool = True,
    typed: bool = False,
) -> SearchRequest:  # fmt: skip
    """A ``SearchRequest`` from form/JSON fields, or ``ValidationFailed`` naming every bad field.

    The form requires an address (the link is emailed); the API may omit it. ``typed``: the
    fields came as JSON, where a switch is ``true`` or ``false`` and nothing else.
    """
    errors = FieldErrors()
    query = errors.check("search-query", lambda: parse_query(data))
    zone = errors.check("tz", lambda: parse_tz(data, settings))
    run_at = _run_at(data, errors, zone, now, typed, optional=False)
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
    return [checked_url(url) for url in urls]


def parse_flag(data: Mapping[str, Any], key: str, typed: bool = False) -> bool:
    """A switch, absent (or null) meaning false. In JSON (``typed``): ``true`` or ``false``.
    From a form: true/on/1/yes or false/off/0/no (or empty)."""
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    flag = FLAGS.get(value.strip().lower()) if isinstance(value, str) and not typed else None
    if flag is None:
        expected = "true or false (a JSON boolean)" if typed else "true or false"
        raise InputError(key, f"{key} must be {expected}")
    return flag


def validate_crawl(
    data: Mapping[str, Any], settings: Settings, now: datetime, *, typed: bool = False
) -> CrawlRequest:
    """A ``CrawlRequest`` from form/JSON fields, or ``ValidationFailed`` naming every bad field
    (``typed``: as in ``validate_search``)."""
    errors = FieldErrors()
    urls = errors.check("urls", lambda: parse_urls(data))
    zone = errors.check("tz", lambda: parse_tz(data, settings))
    run_at = _run_at(data, errors, zone, now, typed, optional=True)
    email = errors.check("email", lambda: parse_email(data, required=False))
    depth = errors.check("depth", lambda: parse_int(data, "depth", "depth", 0, MAX_DEPTH, 0))
    download = errors.check("download", lambda: parse_flag(data, "download", typed))
    limit = settings.max_images
    # No maximum means "every image found" (0), up to MAX_IMAGES: never "fewer than asked".
    count = errors.check(
        "images", lambda: parse_int(data, "images", "number of images", 1, limit, ALL_IMAGES)
    )
    render = errors.check("render", lambda: parse_render(data, settings, typed))
    errors.raise_if_any()
    assert urls and run_at and zone and depth is not None and count is not None
    return CrawlRequest(urls, run_at, email, depth, bool(download), count, zone.key, bool(render))


def parse_render(data: Mapping[str, Any], settings: Settings, typed: bool = False) -> bool:
    """The "render pages" switch; refused, with the reason, when the browser cannot run."""
    if not parse_flag(data, "render", typed):
        return False
    from imgharvest.browser import unavailable

    why = unavailable(settings)
    if why is not None:
        raise InputError("render", f"rendering needs the browser, which is unavailable: {why}")
    return True
