"""Shared fixtures: the fake web, settings pointed at it, temporary data dirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imgharvest.settings import Settings
from tests.fakeweb import FakeWeb


@pytest.fixture(scope="session")
def fakeweb() -> Iterator[FakeWeb]:
    """One fake internet for the whole session (tests add their own catalogs)."""
    with FakeWeb() as fw:
        yield fw


@pytest.fixture
def make_settings(tmp_path: Path, fakeweb: FakeWeb) -> Any:
    """Factory: settings with DATA_DIR in tmp, every source pointed at the fake web,
    loopback allowed through the network guard, and short timeouts."""

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "allowed_networks": ["127.0.0.0/8"],
            "bing_url": fakeweb.url,
            "duckduckgo_url": fakeweb.url,
            "openverse_url": fakeweb.url,
            "wikimedia_url": fakeweb.url,
            "flickr_url": fakeweb.url,
            "pexels_url": fakeweb.url,
            "pixabay_url": fakeweb.url,
            "unsplash_url": fakeweb.url,
            "connect_timeout": 2.0,
            "read_timeout": 2.0,
            "total_timeout": 5.0,
            "retry_max_wait": 2.0,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return factory


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    """Default test settings."""
    return make_settings()


@pytest.fixture
async def source_http(make_settings: Any) -> Any:
    """The real guarded fetcher as the sources' ``Http``, with quick retries for block tests."""
    from imgharvest.pipeline.fetch import Fetcher

    async with Fetcher(make_settings(retries=1, retry_max_wait=0.05)) as http:
        yield http
