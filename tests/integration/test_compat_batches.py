"""Issue 19, items 6 and 7, and the layout of its bodies: the original crawler API skips the
tokens that are not http(s) URLs (naming them), forgets a job once its link expired, and
writes its JSON as the original did."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from imgharvest.service.lifecycle import Outcome
from tests.web_support import PagesApp


async def post(client: httpx.AsyncClient, inputs: bytes) -> httpx.Response:
    return await client.post("/", files={"inputs": ("urls.txt", inputs)})


async def test_a_batch_with_a_bad_token_runs_the_good_ones_and_names_the_bad(
    client: httpx.AsyncClient, pa: PagesApp
) -> None:
    inputs = b"http://example.org/a notaurl\nftp://x http://exa\xe2\x80\xaemple.org/ http://example.org/b"
    answer = await post(client, inputs)
    assert answer.status_code == 200
    assert answer.json() == {
        "result": "job_id: 0",
        "status": {"statusCode": "HTTPOk", "statusMsg": "OK", "statusDetails": {
            "skipped": {"notaurl": "is not an http(s) URL", "ftp://x": "is not an http(s) URL",
                        "http://exa\u202emple.org/": "contains a bidi control character (U+202E)"},
            "skippedCount": 3}},
    }  # fmt: skip
    (job,) = pa.jobs.recent()
    assert job.request["urls"] == ["http://example.org/a", "http://example.org/b"]


async def test_a_batch_with_no_usable_token_is_refused_naming_them(
    client: httpx.AsyncClient, pa: PagesApp
) -> None:
    answer = await post(client, b"notaurl http://a.example:99999/")
    assert answer.status_code == 400
    status = answer.json()["status"]
    assert status["statusCode"] == "InvalidRequest"
    assert "'notaurl' is not an http(s) URL" in status["statusMsg"]
    assert "'http://a.example:99999/' has a port outside 1-65535" in status["statusMsg"]
    assert pa.jobs.recent() == []


async def test_a_megabyte_of_bad_tokens_is_answered_quickly_and_briefly(
    client: httpx.AsyncClient,
) -> None:
    # the worst case of the skip rule: 1 MiB of distinct tokens, none usable but the last
    tokens = b" ".join(b"x%06d" % i for i in range(130_000)) + b" http://example.org/ok"
    assert len(tokens) < 1024 * 1024
    began = time.monotonic()
    answer = await post(client, tokens)
    took = time.monotonic() - began
    details = answer.json()["status"]["statusDetails"]
    assert answer.status_code == 200 and details["skippedCount"] == 130_000
    assert len(details["skipped"]) == 20 and len(answer.content) < 4096
    assert took < 10, f"{took:.1f} s"  # measured: well under a second on this machine


def finish_with_links(pa: PagesApp, job_id: str, urls: list[str]) -> None:
    claim = pa.jobs.claim(job_id)
    assert claim is not None
    rows = [{"url": url, "page_url": "http://example.org/a"} for url in urls]
    assert pa.jobs.finish(claim, Outcome("done", "found", 0, len(urls), {}, None, rows, 1))


@pytest.mark.parametrize("swept", [False, True])
async def test_after_expiry_status_and_result_say_not_found(
    client: httpx.AsyncClient, pa: PagesApp, swept: bool
) -> None:
    await post(client, b"http://example.org/a")
    (job,) = pa.jobs.recent()
    finish_with_links(pa, job.id, ["http://example.org/1.jpg"])
    result = (await client.get("/result/0")).json()["result"]
    assert result == {"count": 1, "img_links": ["http://example.org/1.jpg"]}
    pa.clock.advance(pa.settings.link_ttl_seconds + 1)
    if swept:
        assert pa.jobs.expire_due() == [job.id]
    for path, what in (("/status/0", "status"), ("/result/0", "result")):
        answer = await client.get(path)
        assert answer.status_code == 200
        assert answer.json() == {
            "status": {"statusMsg": "Resource not found", "statusDetails": {},
                       "statusCode": "ResourceNotFound"},
            "result": f"No {what} found for the given job_id 0",
        }  # fmt: skip


async def test_bodies_are_laid_out_as_the_originals(client: httpx.AsyncClient) -> None:
    for answer in (await post(client, b"http://example.org/a"), await client.get("/status/9")):
        body = answer.json()
        original = json.dumps(body, indent=2, sort_keys=True, separators=(",", ": ")) + "\n"
        assert answer.text == original
        assert answer.text.splitlines()[1] == '  "result": ' + json.dumps(body["result"]) + ","
