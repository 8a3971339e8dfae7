"""Chains sources into one candidate stream; a failing source is an event, not the end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from imgharvest.errors import FetchError, SourceError
from imgharvest.events import EventSink
from imgharvest.sources.base import Candidate

T = TypeVar("T")


@asynccontextmanager
async def closing(iterator: AsyncIterator[T]) -> AsyncIterator[AsyncIterator[T]]:
    """Close an async generator even when its consumer stops early (frees its sockets now)."""
    try:
        yield iterator
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


@dataclass(frozen=True)
class Stream:
    """A named source of candidates, opened lazily."""

    name: str
    open: Callable[[], AsyncIterator[Candidate]]


async def chain(
    streams: Sequence[Stream], events: EventSink, errors: dict[str, str], used: list[str]
) -> AsyncIterator[Candidate]:
    """Yield each stream's candidates in turn, skipping URLs already seen.

    A source error is recorded in ``errors`` and the chain falls through to the next stream.
    """
    seen: set[str] = set()
    for stream in streams:
        used.append(stream.name)
        count = 0
        try:
            async with closing(stream.open()) as candidates:
                async for cand in candidates:
                    count += 1
                    if cand.url not in seen:
                        seen.add(cand.url)
                        yield cand
        except (SourceError, FetchError) as exc:
            errors[stream.name] = _describe(stream.name, exc)
            events("error", f"{errors[stream.name]}; falling through to the next source")
            continue
        events("info", f"{stream.name}: exhausted after {count} candidates")


def _describe(name: str, exc: Exception) -> str:
    text = str(exc)
    return text if text.startswith(f"{name}:") else f"{name}: {text}"
