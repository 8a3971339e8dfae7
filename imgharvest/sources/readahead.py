"""Page read-ahead: a source's next page is requested while its current page is consumed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import TypeVar

T = TypeVar("T")


async def read_ahead(pages: AsyncGenerator[T, None], limit: int) -> AsyncGenerator[T, None]:
    """Yield the items of ``pages`` with the next one already on its way (one at most, and
    never past item ``limit``); an error surfaces where it would have without read-ahead."""
    ahead: asyncio.Future[T] | None = asyncio.ensure_future(anext(pages))
    taken = 0
    try:
        while ahead is not None:
            try:
                item = await ahead
            except StopAsyncIteration:
                return
            taken += 1
            ahead = asyncio.ensure_future(anext(pages)) if taken < limit else None
            yield item
    finally:
        if ahead is not None:
            await _drop(ahead)
        await pages.aclose()


async def _drop(ahead: asyncio.Future[T]) -> None:
    """Forget a page nobody will read: cancelled if on its way, and its outcome (the end of
    the pages, an error) taken, so asyncio never reports it as "never retrieved"."""
    if not ahead.done():
        ahead.cancel()
        await asyncio.wait([ahead])
    if not ahead.cancelled():
        ahead.exception()
