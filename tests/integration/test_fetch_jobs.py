"""URL-list jobs (issue 18) in one process on SQLite: an uploaded list runs as shards, each
stored as one object with its rows, the end step writes the manifest and dataset.json (and
one zip for ``zip``); bad uploads are 400s naming the field."""

from __future__ import annotations

import csv
import io
import json
import tarfile
import zipfile
from typing import Any

import httpx
import pytest

from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.waiting import wait_for


def listed(fakeweb: FakeWeb, items: list[cat.FakeImage]) -> str:
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["url", "caption", "source_id"])
    for item in items:
        writer.writerow([fakeweb.image_url(item), f"caption of {item.id}", item.id])
    return rows.getvalue()


def submit(base: str, body: bytes, name: str = "list.csv", **fields: str) -> httpx.Response:
    return httpx.post(f"{base}/api/v1/jobs/fetch", files={"file": (name, body)}, data=fields,
                      timeout=60)  # fmt: skip


def finished(base: str, job_id: str) -> dict[str, Any] | None:
    body = httpx.get(f"{base}/api/v1/jobs/{job_id}", timeout=30).json()
    return body if body["status"] not in ("scheduled", "running") else None


@pytest.mark.parametrize("fmt", ["webdataset", "zip"])
def test_a_list_runs_in_shards_and_delivers_every_distinct_image_with_its_caption(
    run_service: Any, fakeweb: FakeWeb, fmt: str
) -> None:
    items = cat.troubled(60, seed=3, prefix=f"fl{fmt[0]}", base_seed=80_000)
    fakeweb.add_catalog(f"fetch list {fmt}", items)  # the fake host serves them
    services = run_service()
    base = services.settings.public_url
    got = submit(base, listed(fakeweb, items).encode(), format=fmt, shard_size="25")
    assert got.status_code == 201, got.text
    job = got.json()
    assert (job["shards_total"], job["wanted"], job["kind"]) == (3, 60, "fetch")
    body = wait_for(lambda: finished(base, job["id"]), timeout=120)
    good = [i for i in items if i.kind == "good"]
    assert body["status"] == "done" and body["shards_done"] == 3, (body["rejected"], body["events"])
    assert body["kept"] == len(good), body["summary"]
    rows = httpx.get(f"{base}/api/v1/jobs/{job['id']}/images", timeout=30).json()
    by_url = {fakeweb.image_url(i): i for i in items}
    assert {by_url[r["url"]].kind for r in rows} <= {"good", "dup_exact", "dup_near"}
    assert all(r["caption"] == f"caption of {by_url[r['url']].id}" for r in rows)
    done = sorted(e["message"] for e in body["events"] if e["message"].startswith("shard "))
    assert [m.split(" done: ")[0] for m in done] == [f"shard {n} of 3" for n in (1, 2, 3)]
    assert all(m.endswith(" of 25 URLs") or m.endswith(" of 10 URLs") for m in done), done
    files = httpx.get(f"{base}/api/v1/jobs/{job['id']}/files", timeout=30).json()
    if fmt == "webdataset":
        names = [f["name"] for f in files]
        assert names == ["shard-00000.tar", "shard-00001.tar", "shard-00002.tar",
                         "manifest.csv", "dataset.json"]  # fmt: skip
        samples = 0
        for f in files[:3]:
            data = httpx.get(f["url"], follow_redirects=True, timeout=30).content
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                members = tar.getnames()
                for name in (n for n in members if n.endswith(".json")):
                    record = json.loads(tar.extractfile(name).read())  # type: ignore[union-attr]
                    key = name.removesuffix(".json")
                    caption = tar.extractfile(f"{key}.txt").read().decode()  # type: ignore[union-attr]
                    named = f"caption of {record['extra']['source_id']}"
                    assert caption == record["caption"] == named
                    samples += 1
        assert samples == len(good)
        info = httpx.get(files[4]["url"], follow_redirects=True, timeout=30).json()
        assert info["images"] == len(good) and info["shards"] == 3
    else:
        assert files == []
        data = httpx.get(body["download_url"], follow_redirects=True, timeout=30).content
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            images = [n for n in zf.namelist() if n.startswith("images/")]
            assert len(images) == len(good) and "manifest.csv" in zf.namelist()


def test_the_job_page_shows_shards_and_the_files(run_service: Any, fakeweb: FakeWeb) -> None:
    items = cat.good(8, start=81_000, prefix="page")
    fakeweb.add_catalog("fetch page", items)
    services = run_service()
    base = services.settings.public_url
    job = submit(base, listed(fakeweb, items).encode(), format="parquet", shard_size="3").json()
    body = wait_for(lambda: finished(base, job["id"]), timeout=60)
    assert body["status"] == "done" and body["kept"] == 8
    page = httpx.get(f"{base}/jobs/{job['id']}", timeout=30).text
    assert "Shards done" in page and "3 of 3" in page and "The files" in page
    listing = httpx.get(body["download_url"], timeout=30)
    assert listing.status_code == 200 and "part-00002.parquet" in listing.text
    part = httpx.get(f"{body['download_url']}/part-00000.parquet", timeout=30)
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(part.content))
    assert table.num_rows == 3 and set(table.column_names) >= {"url", "caption", "image", "extra"}
    assert httpx.get(f"{body['download_url']}/nothing.tar", timeout=30).status_code == 404


@pytest.mark.parametrize(
    ("fields", "files", "field"),
    [
        ({}, None, "file"),
        ({"format": "dir"}, ("l.txt", b"http://a.test/1.jpg\n"), "format"),
        ({"shard_size": "0"}, ("l.txt", b"http://a.test/1.jpg\n"), "shard_size"),
        ({"max_side": "-4"}, ("l.txt", b"http://a.test/1.jpg\n"), "max_side"),
        ({"licence": "mine"}, ("l.txt", b"http://a.test/1.jpg\n"), "licence"),
        ({"run_at": "yesterday"}, ("l.txt", b"http://a.test/1.jpg\n"), "run_at"),
        ({"colour": "red"}, ("l.txt", b"http://a.test/1.jpg\n"), "body"),
        ({}, ("l.csv", b"caption\nno urls\n"), "file"),
        ({}, ("l.txt", b"\n\n"), "file"),
        ({}, ("l.parquet", b"PAR1 broken"), "file"),
    ],
)
def test_bad_uploads_are_400s_naming_the_field(
    run_service: Any, fields: dict[str, str], files: tuple[str, bytes] | None, field: str
) -> None:
    services = run_service()
    base = services.settings.public_url
    upload = {"file": files} if files else {"other": ("a.txt", b"not the list")}
    got = httpx.post(f"{base}/api/v1/jobs/fetch", files=upload, data=fields, timeout=30)
    assert got.status_code == 400, got.text
    assert field in got.json()["errors"], got.json()


def test_a_list_larger_than_max_list_bytes_is_a_413(run_service: Any) -> None:
    services = run_service(max_list_bytes=4096)
    base = services.settings.public_url
    big = b"http://a.test/x.jpg\n" * 400
    got = httpx.post(f"{base}/api/v1/jobs/fetch", files={"file": ("l.txt", big)}, timeout=30)
    assert got.status_code == 413 and "body" in got.json()["errors"]


def test_a_replayed_upload_with_its_idempotency_key_makes_one_job(
    run_service: Any, fakeweb: FakeWeb
) -> None:
    """A client that lost the answer sends the same upload again: the same job, not a second
    (and the list is not stored twice); the same key with another list is a 409 naming it."""
    services = run_service()
    base = services.settings.public_url
    items = cat.good(4, start=83_000, prefix="idem")
    body = listed(fakeweb, items).encode()
    key = {"Idempotency-Key": "nightly-list-2026-12-07"}
    first = httpx.post(f"{base}/api/v1/jobs/fetch", files={"file": ("l.csv", body)},
                       data={"format": "zip"}, headers=key, timeout=30)  # fmt: skip
    again = httpx.post(f"{base}/api/v1/jobs/fetch", files={"file": ("l.csv", body)},
                       data={"format": "zip"}, headers=key, timeout=30)  # fmt: skip
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["owner_token"] == first.json()["owner_token"]
    other = httpx.post(f"{base}/api/v1/jobs/fetch", files={"file": ("l.csv", body + b"\n")},
                       data={"format": "zip"}, headers=key, timeout=30)  # fmt: skip
    assert other.status_code == 409 and "Idempotency-Key" in other.text, other.text
    fields = httpx.post(f"{base}/api/v1/jobs/fetch", files={"file": ("l.csv", body)},
                        data={"format": "parquet"}, headers=key, timeout=30)  # fmt: skip
    assert fields.status_code == 409, fields.text
    assert [j.id for j in services.jobs.recent()] == [first.json()["id"]]
    stored = list(services.settings.data_dir.rglob("input.jsonl"))  # the local store's lists
    assert len(stored) == 1, stored


def test_a_malformed_idempotency_key_is_a_400_naming_it(run_service: Any) -> None:
    services = run_service()
    got = httpx.post(f"{services.settings.public_url}/api/v1/jobs/fetch",
                     files={"file": ("l.txt", b"http://127.0.0.1/a.jpg\n")},
                     headers={"Idempotency-Key": "x" * 256}, timeout=30)  # fmt: skip
    assert got.status_code == 400 and "Idempotency-Key" in got.json()["errors"], got.text
    assert services.jobs.recent() == []


def test_a_list_job_runs_again_from_its_stored_list(run_service: Any, fakeweb: FakeWeb) -> None:
    """Retry (the owner's token) makes a new job from the stored list, shards as they were,
    without a new upload; once the list is gone (the job expired), a 409 says so."""
    services = run_service()
    base = services.settings.public_url
    items = cat.good(12, start=84_000, prefix="again")
    fakeweb.add_catalog("fetch again", items)  # the fake host serves them
    got = submit(base, listed(fakeweb, items).encode(), format="webdataset", shard_size="5")
    first = wait_for(lambda: finished(base, got.json()["id"]), timeout=120)
    assert first["status"] == "done" and first["shards_total"] == 3, first["error"]
    token = {"Authorization": f"Bearer {got.json()['owner_token']}"}
    retried = httpx.post(f"{base}/api/v1/jobs/{first['id']}/retry", headers=token, timeout=30)
    assert retried.status_code == 201, retried.text
    again = wait_for(lambda: finished(base, retried.json()["id"]), timeout=120)
    assert again["id"] != first["id"] and again["status"] == "done", again["summary"]
    assert (again["kept"], again["shards_total"], again["wanted"]) == (12, 3, 12)
    rows = httpx.get(f"{base}/api/v1/jobs/{again['id']}/images", timeout=30).json()
    assert sorted(r["caption"] for r in rows) == sorted(f"caption of {i.id}" for i in items)
    services.store.delete(f"{first['id']}/input.jsonl")  # as expiry does
    gone = httpx.post(f"{base}/api/v1/jobs/{first['id']}/retry", headers=token, timeout=30)
    assert gone.status_code == 409 and "list is gone" in gone.text, gone.text
