"""Helpers for page tests: an app with the real pages, JobService and SQLite, and delivered jobs."""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from imgharvest.clock import ManualClock
from imgharvest.service.jobs import JobService
from imgharvest.service.lifecycle import Claim, Outcome
from imgharvest.service.services import Services, build_services
from imgharvest.settings import Settings
from imgharvest.web.app import create_app
from tests.fakeweb.images import make_image


@dataclass
class PagesApp:
    """The app under test and the parts a test drives directly."""

    app: FastAPI
    jobs: JobService
    clock: ManualClock
    settings: Settings
    services: Services

    def close(self) -> None:
        """Release the database and queue connections."""
        self.services.close()


def web_settings(tmp: Path, **overrides: Any) -> Settings:
    """Settings for page tests: data in ``tmp``, a fixed secret, no environment."""
    values: dict[str, Any] = {"data_dir": tmp / "data", "secret_key": "test-secret"}
    return Settings(_env_file=None, **{**values, **overrides})


def build_pages_app(settings: Settings) -> PagesApp:
    """The real app (``create_app``) on real services with a manual clock; no worker runs."""
    clock = ManualClock()
    services = build_services(settings, clock=clock)
    app = create_app(settings, services)
    return PagesApp(app, services.jobs, clock, settings, services)


@contextmanager
def pages_app(tmp: Path, **overrides: Any) -> Iterator[PagesApp]:
    """``build_pages_app`` on ``web_settings``, closed after (no submit limit to speak of)."""
    app = build_pages_app(web_settings(tmp, **{"submit_rate_per_minute": 1000, **overrides}))
    try:
        yield app
    finally:
        app.close()


def page_client(pa: PagesApp) -> httpx.AsyncClient:
    """An in-process client of the app (app errors come back as 500s)."""
    transport = httpx.ASGITransport(pa.app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def search_form(clock: ManualClock, **changes: Any) -> dict[str, str]:
    """A valid search form for tomorrow (by the app's clock), with ``changes``."""
    tomorrow = (clock.now() + timedelta(days=1)).date().isoformat()
    data = {
        "search-query": "red bicycles", "date": tomorrow, "time": "09:30",
        "email": "ada@example.com", "images": "3", "tz": "UTC",
    }  # fmt: skip
    data.update({k.replace("_", "-"): v for k, v in changes.items()})
    return data


def claim_now(pa: PagesApp, job_id: str) -> Claim:
    """Move the clock to the job's time and take it, as a worker would."""
    view = pa.jobs.get(job_id)
    assert view is not None
    pa.clock.advance(max(0.0, (view.run_at - pa.clock.now()).total_seconds()) + 1)
    claim = pa.jobs.claim(job_id)
    assert claim is not None
    return claim


def deliver(
    pa: PagesApp, job_id: str, count: int, tmp: Path, status: str = "done",
    licences: tuple[str, ...] = ("",), summary: str = "",
) -> None:  # fmt: skip
    """Finish a job with ``count`` real images zipped in the store (what a worker leaves)."""
    claim = claim_now(pa, job_id)
    rows = [{**image_row(i), "licence": licences[i % len(licences)]} for i in range(count)]
    archive = tmp / f"{job_id}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i, row in enumerate(rows):
            zf.writestr(str(row["file"]), make_image(500 + i, 320 + 40 * (i % 3), 240))
        zf.writestr("manifest.csv", "file\n")
    key, size = f"{job_id}/images.zip", archive.stat().st_size
    pa.jobs.store.put(key, archive)
    rejected = {"duplicate_exact": 2, "not_image": 1}
    summary = summary or f"{count} images kept"
    outcome = Outcome(status, summary, count + 3, count, rejected, key, rows,
                      archive_bytes=size)  # fmt: skip
    assert pa.jobs.finish(claim, outcome)


def image_row(i: int) -> dict[str, str | int]:
    """A manifest row of the ``i``-th delivered test image."""
    return {
        "file": f"images/{i + 1:04d}_red-bicycles.jpg", "url": f"http://127.0.0.1/img/{i}.jpg",
        "page_url": "", "source": "bing", "title": f"Bicycle {i}", "width": 320 + 40 * (i % 3),
        "height": 240, "format": "JPEG", "bytes": 1000, "sha256": "0" * 64, "phash": "0" * 16,
        "licence": "", "licence_url": "", "creator": "",
    }  # fmt: skip


@asynccontextmanager
async def api_client(svc: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app on ``svc``, in process (app errors come back as 500s);
    ``svc`` is closed after."""
    transport = httpx.ASGITransport(create_app(svc.settings, svc), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    svc.close()
