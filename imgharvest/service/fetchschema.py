"""A URL-list job's fields (``POST /api/v1/jobs/fetch``): its format and shard size, the
dataset options the CLI has, the address and time; every bad field named at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from imgharvest.dataset import options
from imgharvest.dataset.partout import PART_FORMATS
from imgharvest.dataset.spec import DatasetSpec
from imgharvest.errors import InputError
from imgharvest.service.fetchsubmit import FetchRequest
from imgharvest.service.fields import checked_text
from imgharvest.service.schemas import FieldErrors, ValidationFailed, parse_email
from imgharvest.service.when import not_past

FIELDS = ("format", "shard_size", "email", "run_at", "max_side", "min_side", "max_aspect",
          "convert", "quality", "animated", "licence")  # fmt: skip
MAX_SHARD_SIZE = 100_000
MAX_NAME = 200


def validate_fetch(data: Mapping[str, Any], name: str, now: datetime) -> FetchRequest:
    """The request of these form fields (``name``: the list's file name), or
    ``ValidationFailed`` naming each bad field."""
    errors = FieldErrors()
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        errors["body"] = f"unknown field {unknown[0][:40]!r} (known: {', '.join(FIELDS)})"
    spec = errors.check("format", lambda: _spec(data))
    email = errors.check("email", lambda: parse_email(data, required=False))
    run_at = errors.check("run_at", lambda: _run_at(data, now))
    if errors:  # the dataset options name their fields the CLI's way (max-side)
        raise ValidationFailed({k.replace("-", "_"): v for k, v in errors.items()})
    assert spec is not None and run_at is not None
    return FetchRequest(name[:MAX_NAME] or "list", run_at, email, spec)


def _spec(data: Mapping[str, Any]) -> DatasetSpec:
    fmt = options.choice("format", _text(data, "format") or "zip", PART_FORMATS)
    return options.build_spec(
        format=fmt, shard_size=_number(data, "shard_size", 1000, MAX_SHARD_SIZE),
        max_side=_number(data, "max_side", 0, options.MAX_SIDE),
        min_side=_number(data, "min_side", 0, options.MAX_SIDE),
        max_aspect=_float(data, "max_aspect"), convert=_text(data, "convert"),
        quality=_number(data, "quality", 90, 100), animated=_text(data, "animated") or "keep",
        licence=_text(data, "licence") or "any",
    )  # fmt: skip


def _text(data: Mapping[str, Any], key: str) -> str:
    raw = data.get(key)
    return "" if raw is None else checked_text(key, raw).strip()


def _number(data: Mapping[str, Any], key: str, default: int, high: int) -> int:
    text = _text(data, key)
    if not text:
        return default
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise InputError(key, f"{key} must be a whole number")
    return options.bounded(key, int(text), 1 if key == "shard_size" else 0, high)


def _float(data: Mapping[str, Any], key: str) -> float:
    text = _text(data, key)
    try:
        return options.aspect(float(text)) if text else 0.0
    except ValueError:
        raise InputError(key, f"{key} must be a number") from None


def _run_at(data: Mapping[str, Any], now: datetime) -> datetime:
    text = _text(data, "run_at")
    if not text:
        return now
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InputError("run_at", "run_at is not an ISO 8601 date-time") from None
    try:
        return not_past(at if at.tzinfo else at.replace(tzinfo=UTC), now)
    except InputError as exc:
        raise InputError("run_at", exc.message) from None
