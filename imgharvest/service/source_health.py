"""Source health: which sources can run (and why not) and whether each answers a query now.

The data behind ``imgharvest sources [--check QUERY]`` and ``GET /api/v1/sources``.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import aclosing
from dataclasses import asdict, dataclass
from typing import Any

from imgharvest.errors import FetchError, ImgHarvestError, SourceBlocked, SourceError
from imgharvest.events import EventList
from imgharvest.net.causes import LABELS, failure_in
from imgharvest.settings import Settings
from imgharvest.sources import MODULES, get_source
from imgharvest.sources.base import Candidate, Source
from imgharvest.sources.common import PagedSource

# A check asks for one page: a source slower than this is reported broken.
CHECK_SECONDS = 45.0
FAILING = frozenset({"blocked", "broken", "unreachable"})
NOT_SEARCH = frozenset({"pages"})


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One source: whether it can run with these settings, why not, where it asks."""

    name: str
    available: bool
    reason: str | None
    base_url: str | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SourceCheck:
    """What one source answered for one page of a query (``status`` says how it went)."""

    name: str
    status: str  # ok, empty, blocked, broken, unreachable or unavailable
    count: int = 0
    first_url: str | None = None
    error: str | None = None
    seconds: float = 0.0
    cause: str | None = None  # why unreachable: dns, refused, timeout, unreachable

    @property
    def failing(self) -> bool:
        """Blocked, broken or unreachable: what ``sources --check`` exits non-zero for."""
        return self.status in FAILING

    @property
    def shown(self) -> str:
        """The status as a person reads it: ``unreachable (DNS)``."""
        if self.status == "unreachable" and self.cause:
            return f"unreachable ({LABELS.get(self.cause, self.cause)})"
        return self.status


def browser_status(settings: Settings) -> str | None:
    """Why the browser features cannot run, or None when they can."""
    from imgharvest.browser import unavailable

    return unavailable(settings)


def search_sources() -> list[str]:
    """Every registered search source, in registration order."""
    return [name for name in MODULES if name not in NOT_SEARCH]


def describe(settings: Settings) -> list[SourceInfo]:
    """Every search source with its availability, reason and base URL."""
    browser = browser_status(settings)
    return [_info(get_source(name), settings, browser) for name in search_sources()]


def _info(cls: type[Source], settings: Settings, browser: str | None) -> SourceInfo:
    reason = cls.unavailable(settings)
    note = None
    if cls.browser_fallback:
        note = f"no browser fallback: {browser}" if browser else "falls back to Chromium"
    base = getattr(settings, f"{cls.name}_url", None)
    return SourceInfo(cls.name, reason is None, reason, str(base) if base else None, note)


async def check_all(
    settings: Settings, query: str, *, seconds: float = CHECK_SECONDS
) -> list[SourceCheck]:
    """Ask every available source for one page of ``query`` at once; the unavailable are listed."""
    from imgharvest.pipeline.fetch import Fetcher

    infos = describe(settings)
    async with Fetcher(settings, EventList()) as http:
        checks = [
            _check(get_source(i.name)(settings, http, EventList()), query, seconds)
            for i in infos
            if i.available
        ]
        done = iter(await asyncio.gather(*checks))
    return [next(done) if i.available else _unavailable(i) for i in infos]


def _unavailable(info: SourceInfo) -> SourceCheck:
    return SourceCheck(info.name, "unavailable", error=info.reason)


async def _check(source: Source, query: str, seconds: float) -> SourceCheck:
    started = time.monotonic()
    try:
        batch = await asyncio.wait_for(first_page(source, query), seconds)
    except SourceBlocked as exc:
        return _failed(source.name, "blocked", str(exc), started)
    except (SourceError, FetchError, ImgHarvestError) as exc:
        return _broken_or_unreachable(source.name, exc, started)
    except TimeoutError:
        return _failed(source.name, "broken", f"no answer within {seconds:.0f} s", started)
    except Exception as exc:  # a parser bug is exactly what a health check must report
        return _failed(source.name, "broken", f"{type(exc).__name__}: {exc}", started)
    took = time.monotonic() - started
    first = batch[0].url if batch else None
    return SourceCheck(source.name, "ok" if batch else "empty", len(batch), first, None, took)


def _failed(name: str, status: str, error: str, started: float) -> SourceCheck:
    return SourceCheck(name, status, error=error, seconds=time.monotonic() - started)


def _broken_or_unreachable(name: str, exc: Exception, started: float) -> SourceCheck:
    """Unreachable when the network said why (the name does not resolve…), else broken."""
    failure = failure_in(exc)
    if failure is None:
        return _failed(name, "broken", str(exc), started)
    took = time.monotonic() - started
    return SourceCheck(name, "unreachable", error=failure.describe(), seconds=took,
                       cause=str(failure.cause))  # fmt: skip


async def first_page(source: Source, query: str) -> list[Candidate]:
    """The candidates of the source's first page (the first one, if it is not paged)."""
    if isinstance(source, PagedSource):
        async with aclosing(source.pages(query)) as pages:
            return await anext(pages, [])
    async with aclosing(source.candidates(query)) as stream:  # type: ignore[type-var]
        first = await anext(stream, None)
    return [first] if first is not None else []


def as_dict(item: SourceInfo | SourceCheck) -> dict[str, Any]:
    """A plain dict (API answers)."""
    return asdict(item)


async def report(settings: Settings, query: str | None = None) -> dict[str, Any]:
    """Every source as a dict (with its check when ``query`` is given), and the browser."""
    browser = browser_status(settings)
    infos = describe(settings)
    checks = {c.name: as_dict(c) for c in await check_all(settings, query)} if query else {}
    return {
        "browser": {"available": browser is None, "reason": browser},
        "sources": [as_dict(i) | {"check": checks.get(i.name)} for i in infos],
    }
