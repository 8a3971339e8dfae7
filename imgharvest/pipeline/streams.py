"""Chains sources into one candidate stream; a failing source is an event, not the end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from imgharvest.errors import FetchError, SourceError
from imgharvest.events import EventSink
from imgharvest.net.causes import NetFailure, failure_in
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
    streams: Sequence[Stream],
    events: EventSink,
    errors: dict[str, str],
    used: list[str],
    network: dict[str, NetFailure] | None = None,
) -> AsyncIterator[Candidate]:
    """Yield each stream's candidates in turn, skipping URLs already seen.

    A source error is recorded in ``errors`` (and in ``network`` when the network said why:
    a name that does not resolve, a refused connection…) and the chain falls through to the
    next stream.
    """
    network = {} if network is None else network
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
            _failed(stream.name, exc, events, errors, network)
            continue
        events("info", f"{stream.name}: exhausted after {count} candidates")


def _failed(
    name: str,
    exc: Exception,
    events: EventSink,
    errors: dict[str, str],
    network: dict[str, NetFailure],
) -> None:
    """Record a source's failure; a network cause already told is told again only quietly
    (offline, one line says it for every source, not one line each)."""
    failure = failure_in(exc)
    told = failure is not None and failure.cause in {f.cause for f in network.values()}
    if failure is not None:
        network[name] = failure
        errors[name] = f"{name}: {failure.describe()}"
    else:
        errors[name] = _describe(name, exc)
    events("info" if told else "error", f"{errors[name]}; falling through to the next source")


def _describe(name: str, exc: Exception) -> str:
    text = str(exc)
    return text if text.startswith(f"{name}:") else f"{name}: {text}"
