"""The "render pages" option of crawl jobs: form and API validation, and a job that renders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from imgharvest.service.schemas import ValidationFailed, validate_crawl
from imgharvest.settings import Settings
from tests.fakeweb import FakeWeb
from tests.fakeweb.render import LAZY_BACKGROUND, LAZY_IMAGES
from tests.integration.test_jobs_run import api, finished
from tests.waiting import wait_for

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_render_is_off_unless_asked(settings: Settings) -> None:
    assert validate_crawl({"urls": "https://example.org/"}, settings, NOW).render is False


@pytest.mark.parametrize("value", ["on", True, "1"])
def test_render_on_with_a_browser(make_settings: Any, value: object) -> None:
    settings = make_settings(browser_path="/bin/sh")  # any executable: nothing is launched
    data = {"urls": "https://example.org/", "render": value}
    assert validate_crawl(data, settings, NOW).render is True


def test_render_without_a_browser_names_the_field_and_the_reason(make_settings: Any) -> None:
    settings = make_settings(browser_path="/nonexistent/chromium")
    with pytest.raises(ValidationFailed) as caught:
        validate_crawl({"urls": "https://example.org/", "render": "on"}, settings, NOW)
    assert "browser" in caught.value.errors["render"]
    assert "/nonexistent/chromium" in caught.value.errors["render"]


@pytest.mark.browser
def test_api_crawl_job_with_render_finds_images_built_by_script(
    run_service: Any, fakeweb: FakeWeb
) -> None:
    services = run_service(allowed_networks=["127.0.0.1/32"])
    body = {"urls": [f"{fakeweb.url}/render/lazy"], "render": True}
    created = httpx.post(f"{api(services)}/jobs/crawl", json=body, timeout=30)
    assert created.status_code == 201, created.text
    done = wait_for(lambda: finished(services, created.json()["id"]), timeout=90)
    assert done["status"] == "done", done
    rows = httpx.get(f"{api(services)}/jobs/{done['id']}/images", timeout=30).json()
    found = {row["url"] for row in rows}
    assert {fakeweb.url + p for p in (*LAZY_IMAGES, LAZY_BACKGROUND)} <= found


def test_the_crawl_form_offers_render_pages(run_service: Any) -> None:
    services = run_service()
    page = httpx.get(f"{services.settings.public_url}/crawl", timeout=30).text
    assert 'name="render"' in page and "Render pages" in page
