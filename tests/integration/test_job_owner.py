"""Issue 16, item 7 (acceptance 6): a job id lets you view; cancel and retry need the owner's
credential, the creation answer's owner token or the My-jobs cookie."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from imgharvest.store.models import Email, Job
from tests.web_support import (
    PagesApp,
    page_client,
    search_form,
)


@pytest.fixture
async def owner(pa: PagesApp) -> AsyncIterator[httpx.AsyncClient]:
    async with page_client(pa) as c:
        yield c


@pytest.fixture
async def stranger(pa: PagesApp) -> AsyncIterator[httpx.AsyncClient]:
    async with page_client(pa) as c:
        yield c


def counts(pa: PagesApp) -> tuple[int, int]:
    with pa.services.sessions() as session:
        jobs = session.scalar(select(func.count()).select_from(Job)) or 0
        mails = session.scalar(select(func.count()).select_from(Email)) or 0
    return jobs, mails


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def created(client: httpx.AsyncClient, email: str = "owner@example.org") -> dict[str, str]:
    body = {"query": "red fox", "count": 2, "email": email}
    answer = await client.post("/api/v1/jobs/search", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_a_strangers_retry_and_cancel_are_refused_and_mail_nobody(
    pa: PagesApp, owner: httpx.AsyncClient, stranger: httpx.AsyncClient
) -> None:
    job = await created(owner)
    other = await created(stranger, "stranger@example.org")
    before = counts(pa)
    cancel, retry = f"/api/v1/jobs/{job['id']}/cancel", f"/api/v1/jobs/{job['id']}/retry"
    for path in (cancel, retry):
        nothing = await stranger.post(path)
        assert nothing.status_code == 401 and nothing.headers["www-authenticate"] == "Bearer"
        assert "authorization" in nothing.json()["errors"]
        for token in (other["owner_token"].encode(), b"x" * 43, "é-not-ascii".encode()):
            wrong = await stranger.post(path, headers=[(b"authorization", b"Bearer " + token)])
            assert wrong.status_code == 403, (token, wrong.text)
    viewed = await stranger.get(f"/api/v1/jobs/{job['id']}")
    assert viewed.status_code == 200 and viewed.json()["status"] == "scheduled"  # view: yes
    assert counts(pa) == before  # no job made, no mail queued
    assert "owner_token" not in viewed.json()


async def test_the_owners_token_cancels_and_retries(pa: PagesApp, owner: httpx.AsyncClient) -> None:
    job = await created(owner)
    headers = bearer(job["owner_token"])
    cancelled = await owner.post(f"/api/v1/jobs/{job['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    retried = await owner.post(f"/api/v1/jobs/{job['id']}/retry", headers=headers)
    assert retried.status_code == 201
    new = retried.json()
    assert new["id"] != job["id"] and new["owner_token"] != job["owner_token"]
    again = await owner.post(f"/api/v1/jobs/{new['id']}/cancel", headers=bearer(new["owner_token"]))
    assert again.status_code == 200
    # the old token is the old job's only
    refused = await owner.post(f"/api/v1/jobs/{new['id']}/retry", headers=headers)
    assert refused.status_code == 403


async def test_the_my_jobs_cookie_manages_what_this_browser_made(
    pa: PagesApp, owner: httpx.AsyncClient, stranger: httpx.AsyncClient
) -> None:
    made = await owner.post("/jobs", json=search_form(pa.clock))
    job_id = made.json()["id"]
    assert made.json()["owner_token"]
    refused = await stranger.post(f"/api/v1/jobs/{job_id}/cancel")
    assert refused.status_code == 401
    cancelled = await owner.post(f"/api/v1/jobs/{job_id}/cancel")  # the cookie, no token
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_a_replayed_creation_answers_the_same_owner_token(owner: httpx.AsyncClient) -> None:
    body = {"query": "red fox", "count": 2}
    key = {"Idempotency-Key": "same-request-1"}
    first = await owner.post("/api/v1/jobs/search", json=body, headers=key)
    again = await owner.post("/api/v1/jobs/search", json=body, headers=key)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["owner_token"] == again.json()["owner_token"]


async def test_the_database_never_holds_the_token(pa: PagesApp, owner: httpx.AsyncClient) -> None:
    job = await created(owner)
    with pa.services.sessions() as session:
        row = session.get(Job, job["id"])
        assert row is not None
        stored = " ".join(str(getattr(row, c.name)) for c in Job.__table__.columns)
    assert row.owner_nonce and job["owner_token"] not in stored


async def test_the_schema_documents_the_owner_credential(owner: httpx.AsyncClient) -> None:
    spec = (await owner.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["ownerToken"] == {
        "type": "http", "scheme": "bearer",
        "description": "The `owner_token` of the answer that created the job.",
    }  # fmt: skip
    assert schemes["myJobsCookie"]["in"] == "cookie"
    for action in ("cancel", "retry"):
        operation = spec["paths"][f"/api/v1/jobs/{{job_id}}/{action}"]["post"]
        assert {"ownerToken": []} in operation["security"]
        assert {"myJobsCookie": []} in operation["security"]
        assert {"401", "403", "404"} <= set(operation["responses"])
    created_schema = spec["components"]["schemas"]["CreatedJobOut"]
    assert "owner_token" in created_schema["properties"]
    assert "owner_token" not in spec["components"]["schemas"]["JobOut"]["properties"]
