"""Issue 18 acceptance 1 and 2: a URL-list job of 4,000 URLs (CSV with captions, faults among
them) in shards of 500 on a web tier and two workers (PostgreSQL, Redis, moto's S3, all real,
on loopback): done, 8 shards, the valid distinct images each with its caption, both workers
ran shards; and with a worker killed mid-way, only its shard is fetched again."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from imgharvest.pipeline.dedupe import Deduper
from imgharvest.pipeline.records import Filters, Verified
from imgharvest.pipeline.verify import verify
from tests.e2e.cluster import Cluster, Proc, slow_fleet
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.waiting import wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]

URLS, SHARD = 4000, 500


@pytest.fixture
def listed(fakeweb: FakeWeb) -> tuple[bytes, dict[str, cat.FakeImage]]:
    return listed_on(fakeweb)


def listed_on(fakeweb: FakeWeb) -> tuple[bytes, dict[str, cat.FakeImage]]:
    """4,000 small images: 70% good, 10% 404, 5% truncated, 5% HTML, 10% copies (exact and
    near) of good ones, shuffled; as a CSV with a caption and an id column."""
    items = [dataclasses.replace(i, width=96, height=72)
             for i in cat.troubled(URLS, seed=18, prefix="ls", base_seed=200_000)]  # fmt: skip
    fakeweb.add_catalog("the list", items)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["url", "caption", "item_id"])
    for item in items:
        writer.writerow([fakeweb.image_url(item), f"a picture, {item.id}", item.id])
    return out.getvalue().encode(), {fakeweb.image_url(i): i for i in items}


def image_requests(web: FakeWeb) -> int:
    return sum(n for path, n in web.hits.items() if path.startswith("/img/ls"))


def submitted(cluster: Cluster, body: bytes) -> str:
    fields = {"format": "webdataset", "shard_size": str(SHARD)}
    got = httpx.post(f"{cluster.web}/api/v1/jobs/fetch", files={"file": ("list.csv", body)},
                     data=fields, timeout=60)  # fmt: skip
    assert got.status_code == 201, got.text
    assert (got.json()["shards_total"], got.json()["wanted"]) == (8, URLS)
    return str(got.json()["id"])


def done(cluster: Cluster, job_id: str) -> dict[str, Any] | None:
    body = cluster.job(job_id)
    assert body["status"] not in ("failed", "short", "cancelled"), body
    return body if body["status"] == "done" else None


def check_samples(
    cluster: Cluster, job_id: str, items: dict[str, cat.FakeImage], tmp: Path
) -> None:
    """Every sample decodes, none repeats a picture, each carries its URL's caption."""
    files = httpx.get(f"{cluster.web}/api/v1/jobs/{job_id}/files", timeout=30).json()
    shards = [f for f in files if f["name"].endswith(".tar")]
    assert [f["name"] for f in shards] == [f"shard-{n:05d}.tar" for n in range(8)]
    seen, count = Deduper(6), 0
    for shard in shards:
        data = httpx.get(shard["url"], follow_redirects=True, timeout=60).content
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in [m for m in tar.getmembers() if m.name.endswith(".json")]:
                record = json.loads(tar.extractfile(member).read())  # type: ignore[union-attr]
                key = member.name.removesuffix(".json")
                caption = tar.extractfile(f"{key}.txt").read().decode()  # type: ignore[union-attr]
                item = items[record["url"]]
                assert caption == record["caption"] == f"a picture, {item.id}"
                assert record["extra"] == {"item_id": item.id}
                path = tmp / record["file"].rpartition("#")[2]
                path.write_bytes(tar.extractfile(record["file"].rpartition("#")[2]).read())  # type: ignore[union-attr]
                info = verify(path, max_pixels=10**8, filters=Filters())
                assert isinstance(info, Verified), (item, info)
                assert seen.check(record["sha256"], info.phash) is None, item
                seen.add(record["sha256"], info.phash)
                count += 1
    good = sum(1 for i in items.values() if i.kind == "good")
    assert count == good  # every distinct picture once: the copies went as duplicates


def shard_workers(cluster: Cluster, job_id: str) -> set[str]:
    rows = cluster.sql("SELECT worker FROM job_parts WHERE job_id = %s AND kind = 'shard'", job_id)
    return {str(r["worker"]) for r in rows}


def test_a_list_of_4000_urls_runs_as_8_shards_on_two_workers(
    cluster: Cluster, fakeweb: FakeWeb, listed: tuple[bytes, dict[str, cat.FakeImage]],
    tmp_path: Path,
) -> None:  # fmt: skip
    body, items = listed
    slow_fleet(cluster, fakeweb)  # one job thread each: both take shards
    before = image_requests(fakeweb)  # the fake web is the session's
    job_id = submitted(cluster, body)
    job = wait_for(lambda: done(cluster, job_id), timeout=300)
    assert job["shards_done"] == job["shards_total"] == 8
    print(f"4,000 URLs: {job['summary']}; rejected {job['rejected']}")
    check_samples(cluster, job_id, items, tmp_path)
    assert len(shard_workers(cluster, job_id)) == 2  # both workers ran shards
    assert image_requests(fakeweb) - before < 1.05 * URLS


@pytest.fixture
def slow_web() -> Iterator[FakeWeb]:
    """A host answering each request after 20 ms: a shard takes seconds, not one heartbeat."""
    with FakeWeb(latency=0.02) as web:
        yield web


def test_a_worker_killed_mid_way_costs_only_its_shard(
    cluster: Cluster, slow_web: FakeWeb, tmp_path: Path
) -> None:
    body, items = listed_on(slow_web)
    procs = slow_fleet(cluster, slow_web)
    job_id = submitted(cluster, body)

    def victim() -> Proc | None:
        job = cluster.job(job_id)
        assert job["status"] in ("queued", "running"), f"ended before a kill: {job}"
        if job["shards_done"] < 2:
            return None
        running = cluster.sql("SELECT worker FROM job_parts WHERE job_id = %s AND "
                              "status = 'running' AND kept > 0", job_id)  # fmt: skip
        pids = {str(r["worker"]).rsplit(":", 1)[-1] for r in running}
        return next((p for p in procs[1:] if str(p.pid) in pids), None)

    wait_for(victim, timeout=300).kill9()
    job = wait_for(lambda: done(cluster, job_id), timeout=300)
    requests = image_requests(slow_web)
    redone = cluster.sql("SELECT number, attempts FROM job_parts WHERE job_id = %s AND "
                         "attempts > 1", job_id)  # fmt: skip
    print(f"killed mid-way: {job['summary']}; redone {redone}; image requests {requests}")
    assert job["shards_done"] == 8 and len(redone) == 1  # only the lost shard ran again
    assert requests < 1.3 * URLS
    check_samples(cluster, job_id, items, tmp_path)
