"""Issue 18: a URL-list job's throughput with one worker and with two on a latency-bound
host, and the gallery of a 5,000-image job (its thumbnail packs against its archive) with
the API's latency meanwhile.

``python -m bench.fleet [fetch|gallery|all] [--runs 2] [--urls 1600]``

Each run is a real fleet on loopback, as in the e2e tests: a fresh PostgreSQL database, a
private redis-server, moto's S3 server, ``serve --web-only`` and ``worker`` processes with
their own data dirs, the fake web in this process. Bounded in time; nothing leaves
127.0.0.1. The machine's 1-minute load is printed with each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import dataclasses
import io
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from tests.conftest import SmtpSink
from tests.e2e.cluster import Cluster
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.services import FreshDatabase, MotoS3, PrivateRedis
from tests.waiting import wait_for

RESULTS = Path(__file__).resolve().parent / "results"
LATENCY = 0.5  # seconds the latency-bound host takes per image
SHARD = 100
BROWSER = 6  # connections a browser opens to one host


def load() -> str:
    """The 1-minute load average now."""
    return f"{os.getloadavg()[0]:.1f}"


def small(count: int, start: int, prefix: str) -> list[cat.FakeImage]:
    return [dataclasses.replace(i, width=96, height=72) for i in cat.good(count, start, prefix)]


def fleet(shared: dict[str, Any], tmp: Path, workers: int, **env: str) -> Cluster:
    """A started fleet of a web tier and ``workers`` workers on a fresh database."""
    db = FreshDatabase()
    db.create()
    cluster = Cluster(tmp, db, shared["redis"], shared["s3"], shared["smtp"], shared["web"])
    env = {"IMGHARVEST_BING_URL": shared["web"].url, **env}
    for proc in [cluster.web_only(**env)] + [cluster.worker(f"w{i}", **env)
                                             for i in range(workers)]:  # fmt: skip
        proc.start()
    cluster.wait_ready(workers=workers, timeout=120)
    return cluster


def ended(cluster: Cluster, job_id: str) -> dict[str, Any] | None:
    body = cluster.job(job_id)
    if body["status"] in ("failed", "cancelled", "short"):
        raise SystemExit(f"job {job_id} ended {body['status']}: {body.get('error')}")
    return body if body["status"] == "done" else None


def fetch_once(shared: dict[str, Any], tmp: Path, workers: int, urls: bytes) -> dict[str, Any]:
    """One URL-list job on a fleet of ``workers`` one-thread workers: images per second."""
    cluster = fleet(shared, tmp, workers, IMGHARVEST_WORKERS="1",
                    IMGHARVEST_FETCH_CONCURRENCY="16")  # fmt: skip
    try:
        before = load()
        fields = {"format": "webdataset", "shard_size": str(SHARD)}
        got = httpx.post(f"{cluster.web}/api/v1/jobs/fetch", files={"file": ("l.csv", urls)},
                         data=fields, timeout=120)  # fmt: skip
        got.raise_for_status()
        job_id = got.json()["id"]
        wait_for(lambda: ended(cluster, job_id), timeout=900, step=0.5)
        row = cluster.row(job_id)
        seconds = (row["finished_at"] - row["started_at"]).total_seconds()
        return {"workers": workers, "images": row["kept"], "shards": row["shards_total"],
                "seconds": round(seconds, 1), "per_second": round(row["kept"] / seconds, 1),
                "load": f"{before} → {load()}"}  # fmt: skip
    finally:
        cluster.stop()
        cluster.db.drop()


def fetch_scenario(runs: int, count: int, tmp: Path, shared: dict[str, Any]) -> str:
    """Interleaved runs with 1 and 2 workers; a table and the median rates."""
    items = small(count, 600_000, "fb")
    shared["web"].add_catalog("bench list", items)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["url", "caption"])
    writer.writerows([shared["web"].image_url(i), f"item {i.id}"] for i in items)
    rows = []
    for run in range(runs):
        for workers in (1, 2):
            rows.append(fetch_once(shared, tmp / f"f{run}w{workers}", workers,
                                   out.getvalue().encode()))  # fmt: skip
            print(rows[-1], flush=True)
    lines = ["| workers | images | shards | seconds | images/s | load before → after |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    lines += [f"| {r['workers']} | {r['images']} | {r['shards']} | {r['seconds']} | "
              f"{r['per_second']} | {r['load']} |" for r in rows]  # fmt: skip
    rate = {
        n: statistics.median(r["per_second"] for r in rows if r["workers"] == n) for n in (1, 2)
    }
    lines.append(f"\nmedian: 1 worker {rate[1]:.1f} images/s, 2 workers {rate[2]:.1f} "
                 f"({rate[2] / rate[1]:.2f}x)")  # fmt: skip
    return "\n".join(lines)


def _poll(url: str, stop: Any, out: Any) -> None:
    """The API client's loop (in a process of its own: no GIL shared with the page loads)."""
    seconds = []
    with httpx.Client(timeout=30) as client:
        while not stop.wait(0.02):
            started = time.perf_counter()
            client.get(url).raise_for_status()
            seconds.append(time.perf_counter() - started)
    out.put(seconds)


class Poller:
    """An API client reading the job every 20 ms from another process until stopped."""

    def __init__(self, url: str) -> None:
        spawn = multiprocessing.get_context("spawn")
        self.stop, self.out = spawn.Event(), spawn.Queue()
        self.proc = spawn.Process(target=_poll, args=(url, self.stop, self.out), daemon=True)
        self.seconds: list[float] = []

    def start(self) -> None:
        self.proc.start()
        time.sleep(1.0)  # its interpreter starts before the pages load

    def finish(self) -> None:
        self.stop.set()
        self.seconds = self.out.get(timeout=60)
        self.proc.join(10)

    def summary(self) -> str:
        qs = statistics.quantiles(self.seconds, n=100)
        return (f"{len(self.seconds)} reads, p50 {1000 * qs[49]:.0f} ms, p99 "
                f"{1000 * qs[98]:.0f} ms, max {1000 * max(self.seconds):.0f} ms")  # fmt: skip


async def _page(session: aiohttp.ClientSession, base: str, job_id: str, page: int) -> float:
    started = time.perf_counter()
    async with session.get(f"{base}/jobs/{job_id}?page={page}") as got:
        got.raise_for_status()
        await got.read()
    first = (page - 1) * 100

    async def tile(position: int) -> None:
        async with session.get(f"{base}/jobs/{job_id}/thumbs/{position}") as got:
            got.raise_for_status()
            await got.read()

    await asyncio.gather(*(tile(p) for p in range(first, first + 100)))
    return time.perf_counter() - started


async def _pages(base: str, job_id: str, pages: range) -> list[float]:
    """A browser's gallery pages: the HTML, then its 100 thumbnails, 6 connections at a time
    (one thread: the client's own CPU stays small on a two-core machine)."""
    connector = aiohttp.TCPConnector(limit=BROWSER)
    async with aiohttp.ClientSession(connector=connector) as session:
        return [await _page(session, base, job_id, p) for p in pages]


def gallery_pages(cluster: Cluster, job_id: str, pages: range) -> str:
    poller = Poller(f"{cluster.web}/api/v1/jobs/{job_id}")
    before = load()
    poller.start()
    loads = asyncio.run(_pages(cluster.web, job_id, pages))
    poller.finish()
    times = ", ".join(f"{s:.2f}" for s in loads)
    return (f"pages {pages.start}-{pages.stop - 1}: {times} s (median "
            f"{statistics.median(loads):.2f} s, max {max(loads):.2f} s); API meanwhile: "
            f"{poller.summary()}; load {before} → {load()}")  # fmt: skip


def gallery_scenario(tmp: Path, shared: dict[str, Any]) -> str:
    """A 5,000-image job (a URL list delivered as one zip, in shards of 1,000), then gallery
    pages from its thumbnail packs and, packs removed, from its archive."""
    web = shared["web"]
    items = small(5000, 700_000, "gb")
    web.add_catalog("bench gallery", items)
    cluster = fleet(shared, tmp / "gallery", 1, IMGHARVEST_WORKERS="2",
                    IMGHARVEST_FETCH_CONCURRENCY="64")  # fmt: skip
    try:
        urls = "url\n" + "".join(f"{web.image_url(i)}\n" for i in items)
        got = httpx.post(f"{cluster.web}/api/v1/jobs/fetch",
                         files={"file": ("l.csv", urls.encode())},
                         data={"format": "zip", "shard_size": "1000"}, timeout=120)  # fmt: skip
        got.raise_for_status()
        job_id = got.json()["id"]
        body = wait_for(lambda: ended(cluster, job_id), timeout=900, step=1)
        row = cluster.row(job_id)
        took = (row["finished_at"] - row["started_at"]).total_seconds()
        lines = [
            f"5,000-image job: {body['kept']} kept in {took:.1f} s; rejected {body['rejected']}"
        ]
        idle = Poller(f"{cluster.web}/api/v1/jobs/{job_id}")
        idle.start()
        time.sleep(15)
        idle.finish()
        lines.append(f"API idle: {idle.summary()}")
        lines.append("from the thumbnail packs: " + gallery_pages(cluster, job_id, range(1, 41)))
        s3 = cluster.s3.client()
        for key in [k for k in cluster.s3.object_keys() if k.endswith(".thumbs")]:
            s3.delete_object(Bucket=cluster.s3.bucket, Key=key)
        lines.append("from the archive (packs removed): "
                     + gallery_pages(cluster, job_id, range(41, 44)))  # fmt: skip
        return "\n".join(lines)
    finally:
        cluster.stop()
        cluster.db.drop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__)
    parser.add_argument("what", nargs="?", default="all", choices=["fetch", "gallery", "all"])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--urls", type=int, default=1600)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="imgharvest-fleet-") as name:
        tmp = Path(name)
        redis, s3, smtp = PrivateRedis(tmp), MotoS3(tmp), SmtpSink()
        redis.start()
        s3.start()
        smtp.start()
        texts = []
        try:
            with FakeWeb(latency=0) as fast, FakeWeb(latency=LATENCY) as slow:
                if args.what in ("gallery", "all"):
                    shared = {"redis": redis, "s3": s3, "smtp": smtp, "web": fast}
                    texts.append(gallery_scenario(tmp, shared))
                    print(texts[-1], flush=True)
                if args.what in ("fetch", "all"):
                    shared = {"redis": redis, "s3": s3, "smtp": smtp, "web": slow}
                    texts.append(fetch_scenario(args.runs, args.urls, tmp, shared))
                    print(texts[-1], flush=True)
        finally:
            smtp.stop()
            s3.stop()
            redis.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"fleet-{stamp}.md").write_text("\n\n".join(texts) + "\n")


if __name__ == "__main__":
    main()
