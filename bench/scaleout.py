"""Scale-out bench: jobs per minute with 1, 2, 3 ``worker`` processes, and how long a job waits
from its ``run_at`` to its start under that load.

``python -m bench.scaleout [--workers 1,2,3] [--jobs 24] [--images 40] [--runs 2]``

Everything real and on loopback, as in the e2e tests: a fresh PostgreSQL database per run,
a private redis-server, moto's S3 server, the fake web (50 ms per request) in this process,
``serve --web-only`` plus N ``worker`` processes (2 threads each), each with its own data dir.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import SmtpSink
from tests.e2e.cluster import Cluster
from tests.fakeweb import FakeWeb
from tests.services import FreshDatabase, MotoS3, PrivateRedis
from tests.waiting import wait_for

RESULTS = Path(__file__).resolve().parent / "results"
SCHEDULED = 4  # jobs due in the middle of the burst: their wait is the scheduler's under load


def run_once(n: int, jobs: int, images: int, tmp: Path, shared: dict[str, Any]) -> dict[str, Any]:
    """One fleet with ``n`` workers: a burst of ``jobs`` jobs plus a few scheduled ones."""
    db = FreshDatabase()
    db.create()
    cluster = Cluster(tmp, db, shared["redis"], shared["s3"], shared["smtp"], shared["web"])
    try:
        procs = [cluster.web_only()] + [cluster.worker(f"w{i}") for i in range(n)]
        for proc in procs:
            proc.start()
        cluster.wait_ready(workers=n, timeout=120)
        load = _loadavg()
        start = datetime.now(UTC)
        due = (start + timedelta(seconds=3)).isoformat()
        with ThreadPoolExecutor(8) as pool:  # submitting must not be what limits the rate
            burst = list(pool.map(
                lambda i: cluster.submit(f"bench {n} {i}", images, f"b{i}@example.org"),
                range(jobs),
            ))  # fmt: skip
        later = [
            cluster.submit(f"bench {n} s{i}", images, f"s{i}@example.org", run_at=due)
            for i in range(SCHEDULED)
        ]
        every = burst + later
        wait_for(lambda: all(cluster.row(j)["status"] == "done" for j in every), timeout=900)
        rows = [cluster.row(j) for j in every]
        return _figures(n, rows[:jobs], rows[jobs:], start, load)
    finally:
        cluster.stop()
        db.drop()


def _figures(
    n: int, burst: list[Any], later: list[Any], start: datetime, load: str
) -> dict[str, Any]:
    def at(value: datetime) -> datetime:
        return value.replace(tzinfo=UTC)

    end = max(at(r["finished_at"]) for r in burst)
    minutes = (end - start).total_seconds() / 60
    waits = [(at(r["started_at"]) - at(r["run_at"])).total_seconds() for r in burst]
    sched = [(at(r["started_at"]) - at(r["run_at"])).total_seconds() for r in later]
    return {
        "workers": n, "threads": 2 * n, "jobs": len(burst), "seconds": round(minutes * 60, 1),
        "jobs_per_minute": round(len(burst) / minutes, 1),
        "burst_wait_median": round(statistics.median(waits), 1),
        "burst_wait_max": round(max(waits), 1),
        "scheduled_wait_median": round(statistics.median(sched), 2),
        "scheduled_wait_max": round(max(sched), 2), "load_before": load, "load_after": _loadavg(),
    }  # fmt: skip


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def table(rows: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table."""
    head = ("| workers (threads) | jobs | seconds | jobs/min | burst wait median / max (s) "
            "| scheduled wait median / max (s) | load before → after |")  # fmt: skip
    lines = [head, "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['workers']} ({r['threads']}) | {r['jobs']} | {r['seconds']} | "
            f"{r['jobs_per_minute']} | {r['burst_wait_median']} / {r['burst_wait_max']} | "
            f"{r['scheduled_wait_median']} / {r['scheduled_wait_max']} | "
            f"{r['load_before']} → {r['load_after']} |"
        )
    return "\n".join(lines)


def medians(rows: list[dict[str, Any]]) -> str:
    """Median jobs per minute and scheduled wait per worker count."""
    lines = ["| workers | median jobs/min | median scheduled wait (s) |", "|---|---|---|"]
    for n in sorted({r["workers"] for r in rows}):
        mine = [r for r in rows if r["workers"] == n]
        rate = statistics.median(r["jobs_per_minute"] for r in mine)
        wait = statistics.median(r["scheduled_wait_median"] for r in mine)
        lines.append(f"| {n} | {rate:.1f} | {wait:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run each worker count once against the same Redis, S3 and fake web."""
    parser = argparse.ArgumentParser(prog="python -m bench.scaleout", description=__doc__)
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--runs", type=int, default=2, help="runs per worker count (interleaved)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="imgharvest-scaleout-") as tmp:
        rows = _run_all([int(w) for w in args.workers.split(",")], args, Path(tmp))
    text = table(rows) + "\n\n" + medians(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"scaleout-{time.strftime('%Y%m%d-%H%M%S')}.md").write_text(text + "\n")
    print(text, flush=True)


def _run_all(counts: list[int], args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    redis, s3, smtp = PrivateRedis(tmp), MotoS3(tmp), SmtpSink()
    redis.start()
    s3.start()
    smtp.start()
    rows = []
    try:
        with FakeWeb(latency=0.05) as web:
            shared = {"redis": redis, "s3": s3, "smtp": smtp, "web": web}
            for run in range(args.runs):  # interleaved, so a change in load hits every count
                for n in counts:
                    where = tmp / f"r{run}w{n}"
                    rows.append(run_once(n, args.jobs, args.images, where, shared))
                    print(table(rows[-1:]), flush=True)
    finally:
        smtp.stop()
        s3.stop()
        redis.stop()
    return rows


if __name__ == "__main__":
    main()
