"""REST API /api/v1 over ASGI: create, read, images, cancel, retry, JSON errors, OpenAPI, compat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from imgharvest.clock import ManualClock
from imgharvest.service.jobdata import ROW_FIELDS
from imgharvest.service.services import Services, build_services
from imgharvest.web.app import create_app
from tests.integration.test_jobs import deliver
from tests.web_support import api_client


@pytest.fixture
def svc(make_settings: Any) -> Services:
    return build_services(make_settings(), clock=ManualClock())


@pytest.fixture
async def client(svc: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(svc) as c:
        yield c


def later(svc: Services, minutes: int = 10) -> str:
    return (svc.clock.now() + timedelta(minutes=minutes)).isoformat()


async def test_create_search_job_then_read_it(client: httpx.AsyncClient, svc: Services) -> None:
    body = {"query": "red fox", "count": 7, "email": "a@example.org", "run_at": later(svc),
            "sources": ["bing"]}  # fmt: skip
    answer = await client.post("/api/v1/jobs/search", json=body)
    assert answer.status_code == 201
    job = answer.json()
    assert answer.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert (job["status"], job["query"], job["wanted"], job["kept"]) == (
        "scheduled",
        "red fox",
        7,
        0,
    )
    assert job["download_url"] is None and job["events"]
    again = await client.get(f"/api/v1/jobs/{job['id']}")
    assert again.json()["id"] == job["id"] and "email" not in again.json()
    assert (await client.get(f"/api/v1/jobs/{job['id']}/images")).json() == []


async def test_errors_are_json_with_a_message_per_field(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/v1/jobs/search", json={"count": 501, "email": "wsq.wee@"})
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert errors["query"] == "search query is required"
    assert errors["email"] == "email is invalid"
    assert errors["count"] == "number of images cannot be greater than 500"
    bad = await client.post("/api/v1/jobs/search", json={"query": "x", "run_at": "tomorrow"})
    assert bad.status_code == 400 and "run_at" in bad.json()["errors"]
    not_json = await client.post("/api/v1/jobs/search", content=b"{", headers={
        "content-type": "application/json"})  # fmt: skip
    assert not_json.status_code == 400 and "errors" in not_json.json()


async def test_unknown_ids_are_404(client: httpx.AsyncClient) -> None:
    for method, path in (("GET", ""), ("GET", "/images"), ("POST", "/cancel"), ("POST", "/retry")):
        answer = await client.request(method, f"/api/v1/jobs/nope{path}")
        assert answer.status_code == 404 and "id" in answer.json()["errors"]


def owner_of(created: httpx.Response) -> dict[str, str]:
    """The header that carries a created job's owner token."""
    return {"Authorization": f"Bearer {created.json()['owner_token']}"}


async def test_crawl_job_cancel_and_retry(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/jobs/crawl", json={"urls": ["http://example.org/a"]})
    assert created.status_code == 201 and created.json()["kind"] == "crawl"
    job_id, owner = created.json()["id"], owner_of(created)
    busy = await client.post(f"/api/v1/jobs/{job_id}/retry", headers=owner)
    assert busy.status_code == 409 and "status" in busy.json()["errors"]
    cancelled = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=owner)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    twice = await client.post(f"/api/v1/jobs/{job_id}/cancel", headers=owner)
    assert twice.status_code == 409
    retried = await client.post(f"/api/v1/jobs/{job_id}/retry", headers=owner)
    assert retried.status_code == 201 and retried.json()["id"] != job_id
    assert retried.json()["owner_token"] not in (None, owner["Authorization"][7:])
    empty = await client.post("/api/v1/jobs/crawl", json={"urls": []})
    assert empty.status_code == 400 and "urls" in empty.json()["errors"]


async def test_images_list_manifest_fields_of_a_finished_job(
    client: httpx.AsyncClient, svc: Services, tmp_path: Path
) -> None:
    created = await client.post("/api/v1/jobs/search", json={"query": "red fox", "count": 1,
                                                             "email": "a@example.org"})  # fmt: skip
    job_id = created.json()["id"]
    deliver(svc, job_id, tmp_path)
    job = (await client.get(f"/api/v1/jobs/{job_id}")).json()
    assert job["status"] == "done" and job["download_url"].startswith(svc.settings.public_url)
    assert job["expires_at"] is not None
    images = (await client.get(f"/api/v1/jobs/{job_id}/images")).json()
    assert images[0]["file"] == "images/0001_red-fox.jpg" and images[0]["width"] == 3
    assert {"url", "page_url", "source", "sha256", "phash", "licence", "creator"} <= set(images[0])


async def test_openapi_lists_the_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = set(spec["paths"])
    assert {"/api/v1/jobs/search", "/api/v1/jobs/crawl", "/api/v1/jobs/{job_id}",
            "/api/v1/jobs/{job_id}/images", "/api/v1/jobs/{job_id}/cancel",
            "/api/v1/jobs/{job_id}/retry"} <= paths  # fmt: skip
    assert (await client.get("/docs")).status_code == 200


async def test_openapi_names_every_field_of_an_image_row(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    answer = spec["paths"]["/api/v1/jobs/{job_id}/images"]["get"]["responses"]["200"]
    ref = answer["content"]["application/json"]["schema"]["items"]["$ref"]
    row = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert list(row["properties"]) == list(ROW_FIELDS)
    assert "largest copy" in row["properties"]["copy_of"]["description"]


async def test_compat_envelope_and_errors(client: httpx.AsyncClient) -> None:
    inputs = b"http://example.org/a \t http://example.org/b\n\nhttp://example.org/c"
    posted = await client.post("/", files={"inputs": ("urls.txt", inputs)})
    body = posted.json()
    assert body["status"]["statusCode"] == "HTTPOk" and body["result"] == "job_id: 0"
    again = await client.post("/", files={"inputs": ("urls.txt", b"http://example.org/x")})
    assert again.json()["result"] == "job_id: 1"
    status = (await client.get("/status/0")).json()["result"]
    assert status == {"completed": 0, "in_process": 0}  # scheduled: nothing read yet
    result = (await client.get("/result/0")).json()["result"]
    assert result == {"count": 0, "img_links": []}
    missing = await client.get("/result/7")
    assert missing.status_code == 200
    assert missing.json() == {
        "status": {"statusMsg": "Resource not found", "statusDetails": {},
                   "statusCode": "ResourceNotFound"},
        "result": "No result found for the given job_id 7",
    }  # fmt: skip
    for path in ("/status/nope", "/result/-1", "/status/1.5"):
        wrong = await client.get(path)
        assert wrong.status_code == 404 and wrong.json()["status"]["statusCode"] == "InvalidRequest"
    bad = await client.post("/", files={"inputs": ("urls.txt", b"ftp://x\n")})
    assert bad.status_code == 400 and bad.json()["status"]["statusCode"] == "InvalidRequest"
    assert "ftp://x" in bad.json()["status"]["statusMsg"]


async def test_compat_splits_inputs_on_any_whitespace(
    client: httpx.AsyncClient, svc: Services
) -> None:
    inputs = b"http://example.org/a \t http://example.org/b\r\n\nhttp://example.org/c "
    await client.post("/", files={"inputs": ("urls.txt", inputs)})
    (job,) = svc.jobs.recent()
    assert job.request["urls"] == [f"http://example.org/{c}" for c in "abc"]
    assert job.request["follow"] == "all" and job.kind == "crawl"


async def test_compat_rate_limit_comes_in_the_envelope(make_settings: Any) -> None:
    svc = build_services(make_settings(submit_rate_per_minute=1), clock=ManualClock())
    transport = httpx.ASGITransport(create_app(svc.settings, svc))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        first = await c.post("/", files={"inputs": ("u.txt", b"http://example.org/a")})
        second = await c.post("/", files={"inputs": ("u.txt", b"http://example.org/a")})
    svc.close()
    assert first.status_code == 200
    assert second.status_code == 429 and second.headers["Retry-After"]
    assert second.json()["status"]["statusCode"] == "InvalidRequest"
    assert "Too many submissions" in second.json()["status"]["statusMsg"]


async def test_api_may_omit_the_address_and_schedules_at_most_a_year_ahead(
    client: httpx.AsyncClient, svc: Services
) -> None:
    answer = await client.post("/api/v1/jobs/search", json={"query": "moths", "count": 2})
    assert answer.status_code == 201 and answer.json()["status"] == "scheduled"
    far = (svc.clock.now() + timedelta(days=400)).isoformat()
    late = await client.post("/api/v1/jobs/search", json={"query": "moths", "count": 2,
                                                          "run_at": far})  # fmt: skip
    assert late.status_code == 400
    assert late.json()["errors"] == {"run_at": "date/time is more than a year ahead"}
    owner = owner_of(answer)
    retried = await client.post(f"/api/v1/jobs/{answer.json()['id']}/cancel", headers=owner)
    assert retried.status_code == 200
    again = await client.post(f"/api/v1/jobs/{answer.json()['id']}/retry", headers=owner)
    assert again.status_code == 201 and again.json()["query"] == "moths"
