"""Fixtures of the integration tests: the in-process app on real services and a client of it
(a module may define its own ``pa`` and ``client`` instead), and a browser host of a test's
own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from imgharvest.browser.host import BrowserHost
from tests.web_support import PagesApp, page_client, pages_app


@pytest.fixture
def pa(tmp_path: Path) -> Iterator[PagesApp]:
    """The app (``create_app``) on real services and SQLite, a manual clock, no worker."""
    with pages_app(tmp_path) as app:
        yield app


@pytest.fixture
async def client(pa: PagesApp) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``pa``, in process."""
    async with page_client(pa) as c:
        yield c


@pytest.fixture
async def host() -> AsyncIterator[BrowserHost]:
    """A host of its own (the process-wide one is shared by other tests)."""
    fresh = BrowserHost()
    yield fresh
    await asyncio.to_thread(fresh.close)
