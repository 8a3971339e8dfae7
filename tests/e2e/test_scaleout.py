"""Issue 9 acceptance: a web tier and workers on separate data dirs, sharing only PostgreSQL,
Redis and an S3 server (all real, all on loopback), surviving what happens to fleets."""

from __future__ import annotations

import io
import time
import zipfile

import httpx
import pytest

from tests.e2e.cluster import Cluster
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.waiting import wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]


def download(cluster: Cluster, url: str) -> zipfile.ZipFile:
    """Follow a mailed link as a browser does: our 307, then the store's pre-signed URL."""
    first = httpx.get(url, follow_redirects=False, timeout=30)
    assert first.status_code == 307, first.text
    target = first.headers["location"]
    assert target.startswith(cluster.s3.url) and "X-Amz-Signature=" in target
    got = httpx.get(target, timeout=30)
    assert got.status_code == 200
    return zipfile.ZipFile(io.BytesIO(got.content))


def test_web_tier_and_two_workers_share_only_postgres_redis_and_s3(
    cluster: Cluster, fakeweb: FakeWeb
) -> None:
    for i in range(8):
        fakeweb.add_catalog(f"fleet fox {i}", cat.good(5, start=9000 + 10 * i, prefix=f"ff{i}_"))
    env = {"IMGHARVEST_LINK_TTL_SECONDS": "20"}
    procs = [cluster.web_only(**env), cluster.worker("w1", **env), cluster.worker("w2", **env)]
    for proc in procs:  # together, on a database nobody has migrated yet
        proc.start()
    time.sleep(5)
    assert all(p.alive() for p in procs), cluster.logs()
    health = cluster.wait_ready(workers=2)
    assert health["database"] and health["queue"]
    assert sorted(p["role"] for p in health["processes"]) == ["web", "worker", "worker"]

    jobs = {cluster.submit(f"fleet fox {i}", 4, f"u{i}@example.org"): i for i in range(8)}
    done: dict[str, dict[str, object]] = {}

    def collect() -> bool:
        for job_id in jobs.keys() - done.keys():
            body = cluster.job(job_id)
            assert body["status"] not in ("failed", "short"), body
            if body["status"] == "done":
                with download(cluster, str(body["download_url"])) as zf:
                    images = [n for n in zf.namelist() if n.startswith("images/")]
                    assert len(images) == 4 and "manifest.csv" in zf.namelist()
                done[job_id] = body
        return len(done) == len(jobs)

    wait_for(collect, timeout=90)
    assert len(cluster.s3.keys()) == 8 and cluster.local_zips() == []
    workers = cluster.sql("SELECT worker FROM jobs")
    ran_on = {str(row["worker"]).rsplit(":", 1)[-1] for row in workers}
    assert ran_on <= {str(p.pid) for p in procs[1:]}
    for job_id in jobs:
        finished = [e for e in cluster.events(job_id) if e["message"].startswith("job done")]
        assert len(finished) == 1 and cluster.row(job_id)["attempts"] == 1
    thumb = httpx.get(f"{cluster.web}/jobs/{job_id}/thumbs/0", timeout=30)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    wait_for(lambda: all(len(cluster.mails_to(f"u{i}@example.org")) == 2 for i in range(8)), 30)
    for i in range(8):
        assert cluster.mails_to(f"u{i}@example.org") == ["are being collected", "are ready"]

    # At expiry the objects go, whichever machine keeps house.
    wait_for(lambda: cluster.s3.keys() == [], timeout=60)
    wait_for(lambda: all(cluster.job(j)["status"] == "expired" for j in jobs), timeout=30)
    gone = httpx.get(str(done[job_id]["download_url"]), follow_redirects=False, timeout=30)
    assert gone.status_code == 410
    assert all(p.alive() for p in procs), cluster.logs()
