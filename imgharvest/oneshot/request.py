"""What a one-shot harvest was asked, checked: the query, the count (no ``MAX_IMAGES`` here:
that bound is the web form's and the API's), the sources, the filters. Every problem is an
``InputError`` naming the option."""

from __future__ import annotations

from imgharvest.errors import InputError
from imgharvest.pipeline.records import Filters
from imgharvest.pipeline.run import HarvestSpec
from imgharvest.pipeline.verify import normalise_formats, supported_formats


def harvest_spec(
    query: str,
    count: int,
    sources: str | tuple[str, ...] = (),
    *,
    min_width: int = 0,
    min_height: int = 0,
    formats: str | tuple[str, ...] = (),
) -> HarvestSpec:
    """The harvest these values ask for (``query`` may be empty: a dataset has its own)."""
    return HarvestSpec(
        query=query.strip(),
        count=check_count(count),
        sources=names(sources),
        filters=_filters(min_width, min_height, names(formats)),
    )


def check_count(n: int) -> int:
    """A count of at least one."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError("count", "must be a whole number greater than 0")
    return n


def require_text(field: str, value: str | None) -> str:
    """``value`` stripped; an empty one is an error naming ``field``."""
    if value is None or not value.strip():
        raise InputError(field, "is required")
    return value.strip()


def names(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A comma list (``"bing,openverse"``) or a sequence of names, as a tuple."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(s.strip() for s in items if s.strip())


def _filters(min_width: int, min_height: int, formats: tuple[str, ...]) -> Filters:
    if min_width < 0 or min_height < 0:
        raise InputError("min-width/min-height", "must not be negative")
    return Filters(min_width, min_height, _check_formats(formats))


def _check_formats(wanted_names: tuple[str, ...]) -> frozenset[str]:
    wanted, known = normalise_formats(set(wanted_names)), supported_formats()
    unknown = sorted(wanted - known)
    if unknown:
        choices = ", ".join(sorted(f.lower() for f in known))
        raise InputError("formats", f"unknown format {', '.join(unknown)} (choose from {choices})")
    return wanted
