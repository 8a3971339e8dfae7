"""Honest accounting (issue 7): a finished job's API view and job page add up,
tried = kept + every rejection reason + surplus."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.integration.test_jobs_run import api, finished, submit
from tests.waiting import wait_for


@pytest.mark.slow
def test_job_counts_add_up_in_the_api_and_on_the_job_page(
    run_service: Any, fakeweb: FakeWeb
) -> None:
    fakeweb.add_catalog("counted otters", cat.troubled(120, prefix="cnt", base_seed=130_000))
    services = run_service(sources=["bing"])
    created = submit(services, query="counted otters", count=30, email="ann@example.org")
    body = wait_for(lambda: finished(services, created["id"]), timeout=90)
    assert body["status"] == "done" and body["kept"] == 30
    rejected = body["rejected"]
    assert body["tried"] == body["kept"] + sum(rejected.values()), body
    assert set(rejected) - {"surplus"}, "a troubled catalog must reject something"
    page = httpx.get(f"{api(services).removesuffix('/api/v1')}/jobs/{created['id']}", timeout=10)
    assert f'data-count="tried">{body["tried"]}<' in page.text
    if rejected.get("surplus"):
        assert "surplus (more than asked)" in page.text
