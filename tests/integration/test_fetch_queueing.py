"""Issue 18 acceptance 6: time spent queued behind the per-host limit is not connect time (on
both download backends it counts against the total timeout only). A host that answers each
image in 6 s, 100 asked of the 120 it has: libcurl keeps 100."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from imgharvest.events import EventList
from imgharvest.pipeline.backends import make_fetcher
from imgharvest.pipeline.records import Reason
from imgharvest.pipeline.run import harvest_links
from imgharvest.sources.base import Candidate
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", ["curl"])
async def test_a_latency_bound_host_gives_every_image_asked(
    backend: str, make_settings: Any, tmp_path: Path
) -> None:
    with FakeWeb(latency=6.0) as host:
        host.add_catalog("six seconds", cat.good(120, start=74_000, prefix="six"))
        links = [Candidate(url=host.image_url(i), source="links")
                 for i in host.catalog("six seconds")]  # fmt: skip
        # the defaults: a 10 s connect timeout, 32 at a time per host, 60 s in all
        settings = make_settings(fetch_backend=backend, connect_timeout=10.0, read_timeout=20.0,
                                 total_timeout=60.0, per_host_concurrency=32)  # fmt: skip
        result = await harvest_links(links, 100, settings, tmp_path, events=EventList())
    assert len(result.records) == 100, result.summary()
    assert not result.refused.get("timeout"), result.summary()


@pytest.mark.parametrize("backend", ["aiohttp", "curl"])
async def test_time_queued_is_not_connect_time_but_counts_in_the_total(
    backend: str, make_settings: Any, tmp_path: Path
) -> None:
    with FakeWeb(latency=1.5) as host:
        host.add_catalog("queued", cat.good(3, start=74_200, prefix="q"))
        urls = [host.image_url(i) for i in host.catalog("queued")]
        patient = make_settings(fetch_backend=backend, connect_timeout=1.0, read_timeout=10.0,
                                total_timeout=10.0, per_host_concurrency=1, retries=0)  # fmt: skip
        async with make_fetcher(patient) as fetcher:
            got = await asyncio.gather(
                *(fetcher.download(u, tmp_path / f"p{i}") for i, u in enumerate(urls))
            )
        assert [g.ok for g in got] == [True, True, True]  # queued 1.5 and 3 s: no connect timeout
        hurried = patient.model_copy(update={"total_timeout": 2.5})
        async with make_fetcher(hurried) as fetcher:
            got = await asyncio.gather(
                *(fetcher.download(u, tmp_path / f"h{i}") for i, u in enumerate(urls[:2]))
            )
    assert got[0].ok and got[1].reason == Reason.TIMEOUT  # 1.5 s queued + 1.5 s > 2.5 s
