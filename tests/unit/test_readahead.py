"""Page read-ahead: one page ahead at most, never past the limit, errors in order, closed."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncGenerator

import pytest

from imgharvest.errors import SourceError
from imgharvest.sources.readahead import read_ahead


class Pages:
    """A paged source that logs each request and each consumption, pages served after a delay."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count, self.fail_at = count, fail_at
        self.log: list[str] = []
        self.closed = False

    async def pages(self) -> AsyncGenerator[int, None]:
        try:
            for n in range(1, self.count + 1):
                self.log.append(f"request {n}")
                await asyncio.sleep(0.01)
                if n == self.fail_at:
                    raise SourceError("scripted", f"page {n}: blocked")
                yield n
        finally:
            self.closed = True


async def test_the_next_page_is_requested_before_the_current_one_is_consumed() -> None:
    source = Pages(3)
    async for n in read_ahead(source.pages(), limit=10):
        await asyncio.sleep(0.03)  # the consumer works on page n
        source.log.append(f"consumed {n}")
    assert source.log == [
        "request 1", "request 2", "consumed 1", "request 3", "consumed 2", "consumed 3",
    ]  # fmt: skip
    assert source.closed


async def test_no_page_is_requested_past_the_limit() -> None:
    source = Pages(5)
    got = [n async for n in read_ahead(source.pages(), limit=2)]
    assert got == [1, 2]
    assert source.log == ["request 1", "request 2"]
    assert source.closed


async def test_an_error_surfaces_after_the_pages_before_it() -> None:
    source = Pages(5, fail_at=3)
    got: list[int] = []
    with pytest.raises(SourceError, match="page 3"):
        async for n in read_ahead(source.pages(), limit=10):
            got.append(n)
    assert got == [1, 2]


async def test_stopping_early_cancels_the_page_in_flight_and_closes_the_source() -> None:
    source = Pages(5)
    pages = read_ahead(source.pages(), limit=10)
    assert await anext(pages) == 1
    await asyncio.sleep(0.005)  # page 2 is on its way
    await pages.aclose()
    assert source.log == ["request 1", "request 2"]
    assert source.closed


async def test_a_page_read_ahead_and_never_taken_leaves_no_unretrieved_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = Pages(1)  # the read-ahead of page 2 ends the pages (StopAsyncIteration)
    pages = read_ahead(source.pages(), limit=10)
    assert await anext(pages) == 1
    await asyncio.sleep(0.05)  # the read-ahead task finishes while nobody waits for it
    await pages.aclose()
    gc.collect()
    assert "never retrieved" not in caplog.text
    assert source.closed


async def test_an_error_read_ahead_and_never_taken_is_dropped_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = Pages(3, fail_at=2)
    pages = read_ahead(source.pages(), limit=10)
    assert await anext(pages) == 1
    await asyncio.sleep(0.05)
    await pages.aclose()
    gc.collect()
    assert "never retrieved" not in caplog.text
