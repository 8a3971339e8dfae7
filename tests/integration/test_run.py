"""The fill-to-N engine: across streams, exactly N, cancel, every source failing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from imgharvest.errors import JobCancelled, JobError, LayoutChanged, SourceBlocked
from imgharvest.events import EventList
from imgharvest.pipeline.records import Filters
from imgharvest.pipeline.result import Progress
from imgharvest.pipeline.run import Stream, Target, harvest_streams
from imgharvest.sources.base import Candidate
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat


def candidates(fw: FakeWeb, items: list[cat.FakeImage], source: str) -> list[Candidate]:
    fw.add_catalog(f"run-{source}-{items[0].id}", items)
    return [Candidate(url=fw.image_url(i), source=source) for i in items]


def stream(name: str, cands: list[Candidate], fail: Exception | None = None) -> Stream:
    async def gen() -> AsyncIterator[Candidate]:
        for cand in cands:
            yield cand
        if fail is not None:
            raise fail

    return Stream(name, gen)


async def run(streams: list[Stream], count: int, settings: Any, tmp: Path, **kw: Any) -> Any:
    target = Target(count, Filters(), "test")
    return await harvest_streams(lambda http: streams, target, settings, tmp, **kw)


async def test_fills_to_n_across_streams_after_one_fails(
    fakeweb: FakeWeb, settings: Any, tmp_path: Path
) -> None:
    first = candidates(fakeweb, cat.good(5, start=70_000, prefix="ra"), "a")
    second = candidates(fakeweb, cat.good(20, start=70_100, prefix="rb"), "b")
    events = EventList()
    broken = stream("a", first, SourceBlocked("a", "captcha page on page 2"))
    result = await run([broken, stream("b", second)], 12, settings, tmp_path, events=events)
    assert len(result.records) == 12 and not result.short
    assert [r.candidate.source for r in result.records[:5]] == ["a"] * 5
    assert {r.candidate.source for r in result.records[5:]} == {"b"}
    assert result.source_errors == {"a": "a: captcha page on page 2"}
    assert any("falling through" in m for m in events.messages("error"))


async def test_keeps_exactly_n_when_more_are_offered(
    fakeweb: FakeWeb, settings: Any, tmp_path: Path
) -> None:
    offered = candidates(fakeweb, cat.good(60, start=71_000, prefix="rc"), "c")
    result = await run([stream("c", offered)], 25, settings, tmp_path, events=EventList())
    assert len(result.records) == 25
    assert all(r.path.exists() for r in result.records)
    assert len(list((tmp_path / "files").iterdir())) <= 60


async def test_cancel_while_running_raises_and_stops(
    fakeweb: FakeWeb, settings: Any, tmp_path: Path
) -> None:
    offered = candidates(fakeweb, cat.good(40, start=72_000, prefix="rd"), "d")
    cancel = asyncio.Event()
    seen: list[int] = []

    def on_progress(p: Progress) -> None:
        seen.append(p.kept)
        if p.kept >= 3:
            cancel.set()

    with pytest.raises(JobCancelled):
        await run(
            [stream("d", offered)], 40, settings, tmp_path,
            events=EventList(), progress=on_progress, cancel=cancel,
        )  # fmt: skip
    assert seen and max(seen) < 40


async def test_every_source_failing_is_a_job_error(settings: Any, tmp_path: Path) -> None:
    streams = [
        stream("x", [], SourceBlocked("x", "HTTP 403")),
        stream("y", [], LayoutChanged("y", "no results parsed from page 1, layout changed?")),
    ]
    with pytest.raises(JobError, match="every source failed: x: HTTP 403; y: no results"):
        await run(streams, 5, settings, tmp_path, events=EventList())


async def test_an_empty_source_is_short_not_failed(settings: Any, tmp_path: Path) -> None:
    result = await run([stream("z", [])], 5, settings, tmp_path, events=EventList())
    assert result.short and result.records == [] and result.source_errors == {}
    assert "only 0 of 5" in result.reason
