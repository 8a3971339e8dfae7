"""The harvest's post step and the licence filter, through the real engine and fake web."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from imgharvest.events import EventList
from imgharvest.pipeline.dedupe import Deduper
from imgharvest.pipeline.records import Filters, ImageRecord, Reason, Rejected
from imgharvest.pipeline.run import PostStep, Target, harvest_streams
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.integration.test_run import candidates, stream


async def test_post_step_replaces_or_drops_kept_images(
    fakeweb: FakeWeb, settings: Any, tmp_path: Path
) -> None:
    cands = candidates(fakeweb, cat.good(6, start=380_000, prefix="pb"), "p")  # all six kept

    def step(record: ImageRecord) -> ImageRecord | Rejected:
        if record.candidate.url.endswith(("pb380003.jpg", "pb380005.jpg")):
            return Rejected(Reason.RESHAPE, "cannot encode")
        return replace(record, query="posted")

    target = Target(6, Filters(), "t", post=PostStep(step))
    events = EventList()
    result = await harvest_streams(
        lambda http: [stream("p", cands)], target, settings, tmp_path, events=events
    )
    assert result.rejected[Reason.RESHAPE] == 2 and len(result.records) == 4
    assert {r.query for r in result.records} == {"posted"} and result.short
    assert not any(
        r.candidate.url.endswith(("pb380003.jpg", "pb380005.jpg")) for r in result.records
    )
    assert sum("reshape_failed" in m for m in events.messages("warning")) == 2


async def test_licence_filter_skips_the_download_and_a_shared_deduper_spans_runs(
    fakeweb: FakeWeb, settings: Any, tmp_path: Path
) -> None:
    items = cat.good(6, start=381_000, prefix="lf")
    cands = candidates(fakeweb, items, "l")
    cands = [replace(c, licence="CC BY 4.0" if i % 2 else None) for i, c in enumerate(cands)]
    deduper = Deduper(settings.near_duplicate_distance)
    first = await harvest_streams(
        lambda http: [stream("l", cands)], Target(6, Filters(licence="open"), "a", deduper=deduper),
        settings, tmp_path / "a", events=EventList(),
    )  # fmt: skip
    assert len(first.records) == 3 and first.rejected[Reason.LICENCE] == 3
    assert all(fakeweb.hits[i.path] == 0 for i in items[::2])
    again = await harvest_streams(
        lambda http: [stream("l", cands)], Target(6, Filters(), "b", deduper=deduper),
        settings, tmp_path / "b", events=EventList(),
    )  # fmt: skip
    assert len(again.records) == 3 and again.rejected[Reason.DUPLICATE_EXACT] == 3
