"""Issue 18 acceptance: faults of a fleet's parts throw no finished work away (a web tier and
two workers on PostgreSQL, Redis and moto's S3, all real, on loopback)."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.cluster import Cluster, Proc, runner_of, slow_fleet
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.services import TcpProxy
from tests.waiting import wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.fixture
def s3_proxy(cluster: Cluster) -> Iterator[TcpProxy]:
    """Every process reaches S3 through this proxy (S3_ENDPOINT_URL must agree fleet-wide)."""
    proxy = TcpProxy(cluster.s3.port)
    proxy.start()
    cluster.env["IMGHARVEST_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{proxy.port}"
    yield proxy
    proxy.stop()


def ended(cluster: Cluster, job_id: str) -> dict[str, Any] | None:
    body = cluster.job(job_id)
    return None if body["status"] in ("scheduled", "running") else body


def test_s3_refusing_connections_for_15_s_while_jobs_finish_fails_none(
    cluster: Cluster, s3_proxy: TcpProxy
) -> None:
    with FakeWeb(latency=0.2) as web:
        for i in range(6):
            web.add_catalog(
                f"store stoat {i}", cat.good(14, start=72_000 + 20 * i, prefix=f"s{i}_")
            )
        procs = slow_fleet(cluster, web, IMGHARVEST_WORKERS="2")
        jobs = [cluster.submit(f"store stoat {i}", 12, f"s{i}@example.org") for i in range(6)]
        wait_for(lambda: any(int(cluster.job(j)["kept"]) > 0 for j in jobs), timeout=60)
        s3_proxy.cut()
        time.sleep(15)
        during = {j: cluster.job(j)["status"] for j in jobs}
        s3_proxy.restore()
        bodies = {j: wait_for(lambda j=j: ended(cluster, j), timeout=120) for j in jobs}
    assert all(b["status"] == "done" and b["kept"] == 12 for b in bodies.values()), bodies
    assert "failed" not in during.values()
    waited = [j for j in jobs if any("archive store unavailable" in e["message"]
                                     for e in cluster.events(j))]  # fmt: skip
    print(f"jobs that waited for the store: {len(waited)} of {len(jobs)}")
    assert waited, "no job met the outage while storing its archive"
    assert all(cluster.row(j)["attempts"] == 1 for j in jobs)  # heartbeats went on meanwhile
    wait_for(lambda: all(len(cluster.mails_to(f"s{i}@example.org")) == 2 for i in range(6)), 30)
    for i in range(6):
        assert cluster.mails_to(f"s{i}@example.org") == ["are being collected", "are ready"]
    assert len(cluster.s3.archive_keys()) == 6 and cluster.local_zips() == []
    assert all(p.alive() for p in procs), cluster.logs()
    assert not [p.name for p in procs if "Traceback" in p.log.read_text(errors="replace")]


def scratch_files(proc: Proc, job_id: str, run: str) -> list[Path]:
    folder = proc.data_dir / "jobs" / job_id / run
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_restarted_worker_leaves_no_scratch_of_its_dead_attempt(cluster: Cluster) -> None:
    with FakeWeb(latency=0.4) as web:
        web.add_catalog("scratch shrew", cat.good(40, start=73_000, prefix="sh"))
        procs = slow_fleet(cluster, web, IMGHARVEST_LINK_TTL_SECONDS="4")
        job_id = cluster.submit("scratch shrew", 30, "")
        wait_for(lambda: int(cluster.job(job_id)["kept"]) >= 3, timeout=60)
        victim = runner_of(cluster, procs, job_id)
        assert scratch_files(victim, job_id, "attempt-1")  # images of the run on its disk
        victim.kill9()
        victim.start()  # the same DATA_DIR
        wait_for(lambda: not scratch_files(victim, job_id, "attempt-1"), timeout=15)
        wait_for(lambda: cluster.job(job_id)["status"] == "expired", timeout=120)
    leftovers = [p for proc in procs for p in (proc.data_dir / "jobs").rglob("*")]
    assert leftovers == []  # nothing of the job in any DATA_DIR past its expiry
    assert all(p.alive() for p in procs), cluster.logs()


def test_logs_stay_quiet_while_jobs_wait_and_while_redis_is_away(cluster: Cluster) -> None:
    with FakeWeb(latency=0.3) as web:
        for i in range(6):
            web.add_catalog(
                f"quiet quokka {i}", cat.good(10, start=75_000 + 20 * i, prefix=f"q{i}_")
            )
        procs = slow_fleet(cluster, web, workers=1)
        # one worker thread: four of five jobs wait on the queue, longer than GRACE
        jobs = [cluster.submit(f"quiet quokka {i}", 8, "") for i in range(5)]
        for job_id in jobs:
            wait_for(lambda j=job_id: cluster.job(j)["status"] == "done", timeout=120)
        worker_log = procs[1].log.read_text(errors="replace")
        assert "the queue had lost" not in worker_log  # they were waiting, not lost
        assert all(cluster.row(j)["attempts"] == 1 for j in jobs)
        cluster.redis.kill()
        time.sleep(8)
        late = httpx.post(f"{cluster.web}/api/v1/jobs/search", json={"query": "quiet quokka 5",
                          "count": 8}, timeout=30)  # fmt: skip
        assert late.status_code == 201, late.text  # stored; it waits in the database
        cluster.redis.start()  # empty
        wait_for(lambda: cluster.job(late.json()["id"])["status"] == "done", timeout=60)
    for proc in procs:
        text = proc.log.read_text(errors="replace")
        assert "Traceback" not in text and "Error reading" not in text, proc.name
        assert " ERROR " not in text and "never retrieved" not in text, proc.name  # clean
    worker_log = procs[1].log.read_text(errors="replace")
    assert worker_log.count("queue unreachable") == 1, worker_log[-3000:]
    assert all(p.alive() for p in procs), cluster.logs()


def small(count: int, start: int, prefix: str) -> list[cat.FakeImage]:
    """Distinct small images (quick to serve, fetch and verify)."""
    return [cat.FakeImage(f"{prefix}{start + i}", start + i, width=64, height=48)
            for i in range(count)]  # fmt: skip


def image_requests(web: FakeWeb) -> int:
    return sum(n for path, n in web.hits.items() if path.startswith("/img/"))


def test_a_takeover_resumes_a_search_job_from_what_was_kept(cluster: Cluster) -> None:
    with FakeWeb(latency=0.1) as web:
        web.add_catalog("half hare", small(1100, 76_000, "hh"))
        procs = slow_fleet(cluster, web, IMGHARVEST_FETCH_CONCURRENCY="4",
                           IMGHARVEST_MAX_IMAGES="1000")  # fmt: skip
        job_id = cluster.submit("half hare", 1000, "h@example.org")
        wait_for(lambda: int(cluster.job(job_id)["kept"]) >= 480, timeout=120)
        runner_of(cluster, procs, job_id).kill9()
        stored = cluster.sql("SELECT count(*) AS n FROM job_images WHERE job_id = %s "
                             "AND part IS NOT NULL", job_id)[0]["n"]  # fmt: skip
        first = wait_for(lambda: (r := cluster.row(job_id))["attempts"] == 2 and r, timeout=60)
        body = wait_for(lambda: (b := cluster.job(job_id))["status"] == "done" and b, timeout=120)
        requests = image_requests(web)
    print(
        f"stored at the kill: {stored}; attempt 2's first progress: {first['kept']} of 1000; "
        f"image requests in all: {requests}"
    )
    assert first["kept"] >= 400 and first["kept"] == stored  # its first progress is the kept set
    assert body["kept"] == 1000 and requests < 1300  # the kept half was not fetched again
    assert any("resuming from" in e["message"] for e in body["events"])
    # the batches go once the archive holds their images (just after the job is done)
    wait_for(lambda: not [k for k in cluster.s3.object_keys() if "/kept/" in k], timeout=30)
    key = cluster.s3.archive_keys()
    assert len(key) == 1 and "/2/" in key[0]  # only attempt 2's archive
    got = cluster.s3.client().get_object(Bucket=cluster.s3.bucket, Key=key[0])["Body"].read()
    with zipfile.ZipFile(io.BytesIO(got)) as zf:
        images = [n for n in zf.namelist() if n.startswith("images/")]
        digests = {hashlib.sha256(zf.read(n)).hexdigest() for n in images}
    assert len(images) == 1000 and len(digests) == 1000
    wait_for(lambda: len(cluster.mails_to("h@example.org")) == 2, timeout=30)
    assert cluster.mails_to("h@example.org") == ["are being collected", "are ready"]
