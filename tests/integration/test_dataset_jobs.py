"""Issue 12 through the job service: the form and API take format, max side and licence."""

from __future__ import annotations

import csv
import io
import json
import tarfile
import zipfile
from typing import Any

import httpx
import pytest
from PIL import Image

from imgharvest.service.services import Services
from tests.conftest import SmtpSink
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.integration.test_api import client, svc  # noqa: F401  (fixtures)
from tests.integration.test_jobs_run import finished, submit, text_of
from tests.waiting import wait_for


def outside_the_event_log(page: str) -> str:
    """The job page without its event log (which logs the summary as it was written)."""
    before, _, after = page.partition('id="events-title"')
    return before + after.partition("</section>")[2]


def test_api_job_delivers_a_resized_webdataset_with_a_licence_summary(
    run_service: Any, fakeweb: FakeWeb, smtp_sink: SmtpSink
) -> None:
    items = [cat.FakeImage(f"dj{i}", 360_000 + i, width=480, height=360) for i in range(12)]
    fakeweb.add_catalog("dataset jobs", items)
    services = run_service(sources=["bing"])
    created = submit(services, query="dataset jobs", count=6, email="ed@example.org",
                     format="webdataset", max_side=120, licence="any")  # fmt: skip
    body = wait_for(lambda: finished(services, created["id"]), timeout=90)
    assert body["status"] == "done", body
    assert "licences: 6 unknown (warning: licence unknown for 100% of images" in body["summary"]
    archive = httpx.get(body["download_url"], timeout=30).content
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert {"manifest.csv", "dataset.json", "shard-000000.tar"} <= set(zf.namelist())
        info = json.loads(zf.read("dataset.json"))
        with tarfile.open(fileobj=io.BytesIO(zf.read("shard-000000.tar"))) as tar:
            images = [m for m in tar.getmembers() if m.name.endswith(".jpg")]
            assert len(images) == 6
            for member in images:
                data = tar.extractfile(member)
                assert data is not None
                assert max(Image.open(data).size) == 120
    assert info["options"]["max_side"] == 120 and info["counts"]["licence"] == {"unknown": 6}
    rows = httpx.get(f"{services.settings.public_url}/api/v1/jobs/{created['id']}/images").json()
    assert len(rows) == 6 and all(r["query"] == "dataset jobs" and r["caption"] for r in rows)
    assert all(r["rank"] >= 1 and r["width"] == 120 for r in rows)
    wait_for(lambda: smtp_sink.of_kind("ready"), timeout=30)
    assert "licence unknown for 100% of images" in text_of(smtp_sink.of_kind("ready")[0])
    page = httpx.get(f"{services.settings.public_url}/jobs/{created['id']}", timeout=10).text
    shown = outside_the_event_log(page)
    assert shown.count("licence unknown for 100% of images") == 1
    assert shown.lower().count("licences:") == 1
    # samples inside tar shards have tiles: their thumbnails were packed beside the archive
    tile = httpx.get(f"{services.settings.public_url}/jobs/{created['id']}/thumbs/0", timeout=10)
    assert f"/jobs/{created['id']}/thumbs/5" in page and tile.content[:2] == b"\xff\xd8"


def test_imagefolder_job_shows_thumbnails_from_the_class_folder(
    run_service: Any, fakeweb: FakeWeb
) -> None:
    fakeweb.add_catalog("folder job", cat.good(8, start=365_000, prefix="fj"))
    services = run_service(sources=["bing"])
    created = submit(services, query="folder job", count=3, email="g@example.org",
                     format="imagefolder")  # fmt: skip
    body = wait_for(lambda: finished(services, created["id"]), timeout=90)
    assert body["status"] == "done", body
    base = services.settings.public_url
    rows = httpx.get(f"{base}/api/v1/jobs/{created['id']}/images", timeout=10).json()
    assert [r["file"].split("/")[0] for r in rows] == ["folder-job"] * 3
    page = httpx.get(f"{base}/jobs/{created['id']}", timeout=10).text
    assert page.count(f"/jobs/{created['id']}/thumbs/") == 3
    thumb = httpx.get(f"{base}/jobs/{created['id']}/thumbs/0", timeout=10)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"


async def test_api_names_each_bad_dataset_option(client: httpx.AsyncClient) -> None:  # noqa: F811
    body = {"query": "x", "count": 2, "email": "a@example.org", "format": "tiff",
            "max_side": -3, "licence": "free"}  # fmt: skip
    answer = await client.post("/api/v1/jobs/search", json=body)
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert set(errors) == {"format", "max_side", "licence"}
    assert "imagefolder" in errors["format"] and "open" in errors["licence"]


async def test_form_keeps_dataset_options_and_stores_them(
    client: httpx.AsyncClient,  # noqa: F811
    svc: Services,  # noqa: F811
) -> None:
    page = await client.get("/?format=parquet&max-side=512&licence=open")
    assert page.status_code == 200
    assert '<option value="parquet" selected>' in page.text and 'value="512"' in page.text
    assert '<option value="open" selected>' in page.text
    assert "<script>" not in page.text.replace("<script src=", "")
    body = {"query": "y", "count": 2, "email": "a@example.org", "format": "imagefolder",
            "max_side": 256, "licence": "commercial"}  # fmt: skip
    created = (await client.post("/api/v1/jobs/search", json=body)).json()
    view = svc.jobs.get(created["id"])
    assert view is not None
    with svc.sessions() as session:
        from imgharvest.store.models import Job

        stored = session.get(Job, created["id"])
        assert stored is not None
        request = stored.request
    assert (request["format"], request["max_side"], request["licence"]) == (
        "imagefolder", 256, "commercial"
    )  # fmt: skip


@pytest.mark.parametrize("licence", ["open", "commercial"])
def test_job_licence_policy_reaches_openverse_and_filters_commons(
    run_service: Any, fakeweb: FakeWeb, licence: str
) -> None:
    query = f"mixed licences job {licence}"
    fakeweb.add_catalog(f"{query} commons", cat.good(12, start=370_000, prefix=f"jc{licence}"))
    services = run_service(sources=["wikimedia"])
    created = submit(services, query=query, count=3, email="f@example.org", licence=licence)
    body = wait_for(lambda: finished(services, created["id"]), timeout=90)
    assert body["status"] == "done", body
    archive = httpx.get(body["download_url"], timeout=30).content
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
    allowed = {"open": {"CC-BY-SA-4.0", "public-domain", "CC-BY-NC-2.0"},
               "commercial": {"CC-BY-SA-4.0", "public-domain"}}[licence]  # fmt: skip
    assert len(rows) == 3 and {r["licence"] for r in rows} <= allowed


def test_plain_job_zip_carries_a_dataset_json_matching_its_manifest(
    run_service: Any, fakeweb: FakeWeb
) -> None:
    fakeweb.add_catalog("plain job info", cat.good(10, start=380_000, prefix="pji"))
    services = run_service(sources=["bing"])
    created = submit(services, query="plain job info", count=5)
    body = wait_for(lambda: finished(services, created["id"]), timeout=90)
    assert body["status"] == "done", body
    archive = httpx.get(body["download_url"], timeout=30).content
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"))))
        info = json.loads(zf.read("dataset.json"))
    assert info["images"] == len(rows) == 5 and info["wanted"] == 5
    assert info["counts"]["query"] == {"plain job info": 5}
    assert info["counts"]["source"] == {"bing": 5}
    assert info["counts"]["licence"] == {"unknown": 5}
    assert info["licence_warning"] and info["command"] == f"job {created['id']}"
    page = httpx.get(f"{services.settings.public_url}/jobs/{created['id']}", timeout=10).text
    assert "/thumbs/" in page, "a plain zip job shows its gallery"
    shown = outside_the_event_log(page)
    assert shown.lower().count("licences:") == 1, "the licence summary is shown once"
    assert shown.count("licence unknown for 100% of images") == 1
    assert 'id="licence-warning"' in page
