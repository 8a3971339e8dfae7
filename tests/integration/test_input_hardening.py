"""Issue 8, acceptance 1: each hostile input gets a 4xx naming its field, never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from imgharvest.clock import ManualClock
from imgharvest.service.services import Services, build_services
from tests.web_support import api_client

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def svc(make_settings: Any) -> Services:
    return build_services(make_settings(submit_rate_per_minute=1000), clock=ManualClock())


@pytest.fixture
async def client(svc: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(svc) as c:
        yield c


def search(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"query": "red fox", "count": 3, "email": "a@example.org"}
    return {**body, **changes}


def crawl(**changes: Any) -> dict[str, Any]:
    return {"urls": ["http://127.0.0.1:9/page"], **changes}


def form(svc: Services, **changes: str) -> dict[str, str]:
    tomorrow = (svc.clock.now() + timedelta(days=1)).date().isoformat()
    data = {"search-query": "red fox", "date": tomorrow, "time": "09:30", "tz": "UTC",
            "email": "a@example.org", "images": "3"}  # fmt: skip
    return {**data, **changes}


async def post_json(client: httpx.AsyncClient, path: str, body: Any) -> httpx.Response:
    """JSON as ASCII with escapes, so lone surrogates travel as ``\\ud800`` like any client's."""
    headers = {"content-type": "application/json"}
    return await client.post(path, content=json.dumps(body).encode(), headers=headers)


async def errors_of(answer: httpx.Response, status: int = 400) -> dict[str, str]:
    assert answer.status_code == status, answer.text
    errors: dict[str, str] = answer.json()["errors"]
    assert all(isinstance(message, str) and message for message in errors.values())
    return errors


API_CASES = [
    ("search", search(run_at="9999-12-31T23:59:00-12:00"), "run_at"),
    ("search", search(run_at=""), "run_at"),
    ("search", search(run_at="9999-12-31T23:59:00"), "run_at"),
    ("search", search(sources=5), "sources"),
    ("search", search(sources=[1, 2]), "sources"),
    ("crawl", crawl(urls=5), "urls"),
    ("crawl", crawl(urls=True), "urls"),
    ("crawl", crawl(urls=[{"a": 1}]), "urls"),
    ("search", search(query="\ud800 fox"), "query"),
    ("search", search(query="red\x00fox"), "query"),
    ("search", search(email="a\x00@example.org"), "email"),
    ("crawl", crawl(urls=["http://example.org/\udc00"]), "urls"),
    ("search", search(count="\u0665"), "count"),
    ("search", search(count=" 5 "), "count"),
    ("search", search(count=True), "count"),
    ("search", search(count=5.0), "count"),
    ("search", search(count=0), "count"),
    ("search", search(min_height=False), "min_height"),
    ("search", search(min_width="\u0661\u0660"), "min_width"),
    ("crawl", crawl(download=0), "download"),
    ("crawl", crawl(download="maybe"), "download"),
    ("crawl", crawl(depth=True), "depth"),
    ("crawl", crawl(count=0), "count"),
    ("search", search(run_at=5), "run_at"),
    ("search", search(query=["a"]), "query"),
]


@pytest.mark.parametrize(("kind", "body", "field"), API_CASES)
async def test_api_names_the_bad_field(
    client: httpx.AsyncClient, kind: str, body: dict[str, Any], field: str
) -> None:
    answer = await post_json(client, f"/api/v1/jobs/{kind}", body)
    assert field in await errors_of(answer)


async def test_email_null_is_no_address_as_the_schema_says(
    client: httpx.AsyncClient,
) -> None:
    for kind, body in (("crawl", crawl(email=None)), ("search", search(email=None))):
        answer = await client.post(f"/api/v1/jobs/{kind}", json=body)
        assert answer.status_code == 201, answer.text
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
    assert "null" in schema["CrawlJobIn"]["properties"]["email"]["type"]
    assert "null" in schema["SearchJobIn"]["properties"]["email"]["type"]
    assert "email" not in schema["SearchJobIn"]["required"]
    assert schema["SearchJobIn"]["properties"]["count"]["anyOf"][0]["minimum"] == 1


@pytest.mark.parametrize("path", ["/api/v1/jobs/search", "/jobs"])
async def test_json_nested_100000_deep_is_refused_before_parsing(
    client: httpx.AsyncClient, path: str
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    body = b'{"query": "x", "count": 1, "email": "a@example.org", "sources": ' + deep + b"}"
    headers = {"content-type": "application/json"}
    answer = await client.post(path, content=body, headers=headers)
    assert (await errors_of(answer)) == {"body": "the JSON body is nested deeper than 32 levels"}


async def test_json_with_too_many_items_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/v1/jobs/crawl", json=crawl(urls=["x"] * 20_000))
    assert "body" in await errors_of(answer)


async def test_brackets_inside_strings_do_not_count_as_nesting(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/v1/jobs/search", json=search(query="[" * 100))
    assert answer.status_code == 201, answer.text


async def test_form_date_overflow_in_los_angeles_names_the_date(
    client: httpx.AsyncClient, svc: Services
) -> None:
    data = form(svc, date="9999-12-31", time="23:59", tz="America/Los_Angeles")
    answer = await client.post("/jobs", json=data)
    assert "date" in await errors_of(answer)
    token = CSRF.search((await client.get("/")).text)
    assert token is not None
    page = await client.post("/jobs", data={**data, "csrf_token": token.group(1)})
    assert page.status_code == 400 and "date/time is out of range" in page.text


FORM_CASES = [
    ({"images": "\u0665"}, "images"),
    ({"images": " 5 "}, "images"),
    ({"images": "5.0"}, "images"),
    ({"search-query": "\ud800"}, "search-query"),
    ({"search-query": "a\x00b"}, "search-query"),
    ({"tz": "Europe/\x00Paris"}, "tz"),
    ({"min-height": "false"}, "min-height"),
]


@pytest.mark.parametrize(("changes", "field"), FORM_CASES)
async def test_form_json_names_the_bad_field(
    client: httpx.AsyncClient, svc: Services, changes: dict[str, str], field: str
) -> None:
    answer = await post_json(client, "/jobs", form(svc, **changes))
    assert field in await errors_of(answer)


async def test_form_json_with_booleans_and_numbers_where_text_belongs(
    client: httpx.AsyncClient, svc: Services
) -> None:
    data: dict[str, Any] = {**form(svc), "images": True, "email": 5, "kind": "search"}
    errors = await errors_of(await client.post("/jobs", json=data))
    assert {"images", "email"} <= set(errors)
    crawl_data = {"kind": "crawl", "urls": True, "download": 0}
    errors = await errors_of(await client.post("/jobs", json=crawl_data))
    assert {"urls", "download"} <= set(errors)


@pytest.mark.parametrize(
    "url", ["/?search-query=%ED%A0%80", "/crawl?urls=%00", "/jobs/%00", "/api/v1/jobs/%ED%A0%80"]
)
async def test_odd_bytes_in_urls_are_no_500(client: httpx.AsyncClient, url: str) -> None:
    answer = await client.get(url)
    assert answer.status_code < 500


@pytest.mark.parametrize("url", ["/api/v1/jobs/%00", "/jobs/a%00b", "/status/%00", "/d/%00"])
async def test_a_nul_in_the_path_is_not_found_before_any_lookup(
    client: httpx.AsyncClient, url: str
) -> None:
    answer = await client.get(url)
    assert answer.status_code == 404
    if url.startswith("/api/"):
        assert answer.json() == {"errors": {"path": "there is nothing at this address"}}


async def test_compat_upload_with_nul_is_a_400_in_the_envelope(client: httpx.AsyncClient) -> None:
    answer = await client.post("/", files={"inputs": (None, "http://example.org/\x00")})
    assert answer.status_code == 400
    assert answer.json()["status"]["statusDetails"]["errors"].keys() == {"inputs"}


async def test_openapi_documents_exactly_the_statuses_returned(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    statuses = {(m, p): set(op["responses"]) for p, ops in paths.items() for m, op in ops.items()}
    assert all("422" not in codes for codes in statuses.values())
    assert statuses[("post", "/api/v1/jobs/search")] >= {"201", "400", "413", "429"}
    assert statuses[("post", "/api/v1/jobs/{job_id}/retry")] >= {"403", "404", "409", "429"}
    assert "429" not in statuses[("get", "/api/v1/jobs/{job_id}")]
