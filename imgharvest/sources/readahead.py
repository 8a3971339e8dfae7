"""Page read-ahead: a source's next page is requested while its current page is consumed."""

from __future__ import annotations

import asyncio
import contextlib
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
        if ahead is not None and not ahead.done():
            ahead.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await ahead
        await pages.aclose()
