"""Issue 18: a search run's kept images go to the store in batches with their rows; the next
attempt starts from them (counts at claim, records with their files); a replaced run's batch
is refused; finishing replaces them with the archive's rows."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from imgharvest.clock import ManualClock
from imgharvest.pipeline.records import Filters, ImageRecord, Verified
from imgharvest.pipeline.verify import verify
from imgharvest.service.keptbatches import KeptBatches, seed_of
from imgharvest.service.lifecycle import Outcome
from imgharvest.service.services import Services, build_services
from imgharvest.sources.base import Candidate
from imgharvest.store.models import Job, JobImage, JobPart
from tests.fakeweb import images
from tests.integration.test_jobs import search


@pytest.fixture
def svc(make_settings: Any) -> Iterator[Services]:
    services = build_services(make_settings(), clock=ManualClock(), stale_after=10)
    yield services
    services.close()


def kept(tmp_path: Path, seed: int) -> ImageRecord:
    data = images.make_image(seed, 64, 48)
    path = tmp_path / f"file-{seed}"
    path.write_bytes(data)
    info = verify(path, max_pixels=10**7, filters=Filters())
    assert isinstance(info, Verified)
    cand = Candidate(url=f"http://img.test/{seed}.jpg", source="bing", title=f"image {seed}",
                     licence="CC BY 4.0", caption=f"caption {seed}", rank=seed % 7 + 1)  # fmt: skip
    sha = hashlib.sha256(data).hexdigest()
    return ImageRecord(cand, path, len(data), sha, info, cand.url, "red fox", "2026-12-01T00:00")


def test_kept_batches_survive_a_takeover_and_a_replaced_run_adds_none(
    svc: Services, tmp_path: Path
) -> None:
    clock = svc.clock
    assert isinstance(clock, ManualClock)
    job = svc.jobs.create_search(search(clock, count=10))
    first = svc.jobs.claim(job.id, "w1:1")
    assert first is not None
    run1 = KeptBatches(svc.jobs, svc.store, first, tmp_path / "run1")
    (tmp_path / "run1").mkdir()
    records = [kept(tmp_path, s) for s in range(90_000, 90_005)]
    note = run1.post().run
    for record in records[:3]:
        assert note(record) is record  # the post step hands the record back unchanged
    assert run1.flush() == 3 and run1.flush() == 0
    for record in records[3:]:
        note(record)
    assert run1.flush() == 2

    clock.advance(11)  # run 1 went silent; attempt 2 takes over
    second = svc.jobs.claim(job.id, "w2:2")
    assert second is not None and second.attempt == 2
    with svc.sessions() as session:
        row = session.get(Job, job.id)
        assert row is not None and (row.kept, row.tried) == (5, 5)  # its first progress
    run2 = KeptBatches(svc.jobs, svc.store, second, tmp_path / "run2")
    seed = run2.load()
    assert [r.sha256 for r in seed] == [r.sha256 for r in records]
    assert [r.path.read_bytes() for r in seed] == [r.path.read_bytes() for r in records]
    assert [r.manifest_row("x") for r in seed] == [r.manifest_row("x") for r in records]
    assert seed_of(seed).urls == {r.candidate.url for r in records}

    late = kept(tmp_path, 90_010)
    note(late)  # the replaced run 1 still keeps an image: its batch is refused
    assert run1.flush() == 0
    assert len(svc.jobs.kept_parts(job.id)) == 2 and len(list(svc.store.root.rglob("*.zip"))) == 2

    outcome = Outcome("done", "5 kept", 5, 5, {}, images=[r.manifest_row(f"images/{i}.jpg")
                      for i, r in enumerate(seed)], kept_batches=True)  # fmt: skip
    assert svc.jobs.finish(second, outcome)
    with svc.sessions() as session:
        rows = session.scalars(select(JobImage).where(JobImage.job_id == job.id)).all()
        parts = session.scalars(select(JobPart).where(JobPart.job_id == job.id)).all()
    assert len(rows) == 5 and all(r.part is None for r in rows) and parts == []
