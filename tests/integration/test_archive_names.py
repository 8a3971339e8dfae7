"""Archive names of jobs (issue 7): a query in another script keeps its letters in the
downloaded file's name, so two such jobs never both download as ``images.zip``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.integration.test_jobs_run import finished, submit
from tests.waiting import wait_for


@pytest.mark.slow
def test_non_latin_jobs_download_under_their_own_names(run_service: Any) -> None:
    services = run_service(sources=["bing"])
    names = []
    for query in ("кошки", "猫"):
        created = submit(services, query=query, count=2, email="ann@example.org")
        body = wait_for(lambda c=created: finished(services, c["id"]), timeout=90)
        assert body["status"] == "done", body
        answer = httpx.get(body["download_url"], timeout=30)
        assert answer.status_code == 200
        names.append(answer.headers["content-disposition"])
    assert names[0] != names[1]
    assert f"filename*=utf-8''{quote('кошки.zip')}" in names[0]
    assert f"filename*=utf-8''{quote('猫.zip')}" in names[1]
