"""Issue 8, acceptance 6 and the headers: cross-site state changes are refused (403) while
scripts keep working; every HTML page carries CSP, frame, referrer and nosniff headers."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from imgharvest.clock import ManualClock
from imgharvest.service.services import Services, build_services
from tests.web_support import api_client

EVIL = {"Origin": "http://evil.example"}
TEMPLATES = Path(__file__).parents[2] / "imgharvest" / "web" / "templates"


@pytest.fixture
def svc(make_settings: Any) -> Services:
    return build_services(make_settings(submit_rate_per_minute=5), clock=ManualClock())


@pytest.fixture
async def client(svc: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(svc) as c:
        yield c


async def new_job(client: httpx.AsyncClient, svc: Services) -> tuple[str, dict[str, str]]:
    """A new job's id, and the header that carries its owner token."""
    run_at = (svc.clock.now() + timedelta(hours=1)).isoformat()
    body = {"query": "fox", "count": 2, "email": "a@example.org", "run_at": run_at}
    answer = await client.post("/api/v1/jobs/search", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"]), {"Authorization": f"Bearer {answer.json()['owner_token']}"}


async def test_cross_site_cancel_is_refused_and_the_same_call_from_a_script_works(
    client: httpx.AsyncClient, svc: Services
) -> None:
    job_id, owner = await new_job(client, svc)
    refused = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers={**EVIL, **owner})
    assert refused.status_code == 403 and "origin" in refused.json()["errors"]
    assert (await client.get(f"/api/v1/jobs/{job_id}")).json()["status"] == "scheduled"
    fetch_site = await client.post(
        f"/api/v1/jobs/{job_id}/cancel", headers={"Sec-Fetch-Site": "cross-site", **owner}
    )
    assert fetch_site.status_code == 403
    scripted = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=owner)
    assert scripted.status_code == 200 and scripted.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/api/v1/jobs/{id}/retry", {}),
        ("/jobs", {"data": {"search-query": "fox"}}),
        ("/", {"files": {"inputs": (None, "http://example.org/")}}),
        ("/api/v1/jobs/search", {"json": {"query": "fox"}}),
    ],
)
async def test_every_state_change_refuses_other_sites(
    client: httpx.AsyncClient, svc: Services, path: str, kwargs: dict[str, Any]
) -> None:
    job_id, owner = await new_job(client, svc)
    answer = await client.post(path.replace("{id}", job_id), headers={**EVIL, **owner}, **kwargs)
    assert answer.status_code == 403
    if path == "/":
        assert answer.json()["status"]["statusCode"] == "Forbidden"


async def test_same_origin_browser_requests_pass(client: httpx.AsyncClient, svc: Services) -> None:
    job_id, owner = await new_job(client, svc)
    own = await client.post(
        f"/api/v1/jobs/{job_id}/cancel", headers={"Origin": "http://test", **owner}
    )
    assert own.status_code == 200
    same = await client.post(
        f"/api/v1/jobs/{job_id}/retry", headers={"Sec-Fetch-Site": "same-origin", **owner}
    )
    assert same.status_code == 201


async def test_retry_counts_against_the_submission_limit(
    client: httpx.AsyncClient, svc: Services
) -> None:
    job_id, owner = await new_job(client, svc)
    cancel = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=owner)
    assert cancel.status_code == 200
    retry = f"/api/v1/jobs/{job_id}/retry"
    statuses = [(await client.post(retry, headers=owner)).status_code for _ in range(5)]
    assert statuses == [201, 201, 201, 201, 429]


SECURITY = {"x-frame-options": "DENY", "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin"}  # fmt: skip


@pytest.mark.parametrize("path", ["/", "/crawl", "/jobs/nope", "/d/nope"])
async def test_every_page_has_the_security_headers(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert "text/html" in answer.headers["content-type"]
    assert {k: answer.headers.get(k) for k in SECURITY} == SECURITY
    csp = answer.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src is not None and script_src.group(1).strip() == "'self'"
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


def test_templates_have_no_inline_script_or_handler() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name


async def test_api_docs_allow_exactly_their_own_inline_script(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", docs.text, re.S)
    assert inline
    csp = docs.headers["content-security-policy"]
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-inline'" not in re.search(r"script-src ([^;]*)", csp).group(1)  # type: ignore[union-attr]
    assert docs.headers["x-frame-options"] == "DENY"
