"""Hostile pages through the crawler API of a real ``imgharvest serve`` (issue 16):
``python -m bench.serve_memory [--limit S]``.

``serve`` with default settings (web process + worker child with 4 worker threads), the fake
web in this process. Each scenario submits crawler-API jobs (``POST /``, ``inputs``) for
pages of N distinct ``<img>`` tags and polls the summed RSS of serve's process tree every
50 ms until every job has ended (or ``--limit`` seconds). Reported: wall seconds, the tree's
peak growth over its RSS at rest, the most runs any job took, and the jobs' end states. With
``BENCH_REF_TREE`` the first scenario also runs from that checkout.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.measure import load_average, tree_rss
from tests.conftest import free_port
from tests.fakeweb import FakeWeb

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
SCENARIOS = {  # name: (jobs, pages per job, pictures per page)
    "1 job, 1 page of 300,000": (1, 1, 300_000),
    "1 job, 5 pages of 386,348": (1, 5, 386_348),
    "4 jobs at once, 5 pages of 386,348 each": (4, 5, 386_348),
}


def start(tree: Path, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tree), "IMGHARVEST_DATA_DIR": str(tmp / "data"),
           "IMGHARVEST_PORT": str(port), "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.0/8"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "imgharvest", "serve"], env=env, cwd=tmp,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/docs", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    time.sleep(3)  # the worker child is up and idle
    return proc, base


def states(db: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as conn:
        return [(str(s), int(a)) for s, a in conn.execute("SELECT status, attempts FROM jobs")]


def run(tree: Path, fw: FakeWeb, scenario: tuple[int, int, int], limit: float) -> str:
    jobs, pages, pictures = scenario
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start(tree, Path(tmp))
        try:
            rest, load, started = tree_rss(proc.pid), load_average(), time.monotonic()
            for job in range(jobs):
                urls = "\n".join(f"{fw.url}/huge/images-{pictures - job * pages - page}.html"
                                 for page in range(pages))  # fmt: skip
                httpx.post(base + "/", files={"inputs": ("urls.txt", urls)}, timeout=60)
            peak, ended = rest, []
            while time.monotonic() - started < limit:
                peak = max(peak, tree_rss(proc.pid))
                found = states(Path(tmp) / "data" / "imgharvest.db")
                if len(found) == jobs and all(s not in ("scheduled", "running") for s, _ in found):
                    ended = found
                    break
                time.sleep(0.05)
            took, found = time.monotonic() - started, ended or found
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    runs = max((a for _, a in found), default=0)
    end = ", ".join(sorted({s for s, _ in found})) if ended else f"not ended in {limit:.0f} s"
    return (f"{took:.0f} | {rest / MB:.0f} | +{(peak - rest) / MB:.0f} | {runs} | {end} | "
            f"{load:.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=float, default=300.0)
    parser.add_argument("--only", type=int, nargs="*", help="scenario numbers (from 1)")
    args = parser.parse_args()
    print("| scenario | tree | wall s | RSS at rest MB | peak growth MB | most runs | end | load |")
    print("|---|---|---|---|---|---|---|---|")
    with FakeWeb() as fw:
        for number, (name, scenario) in enumerate(SCENARIOS.items(), 1):
            if args.only and number not in args.only:
                continue
            print(f"| {name} | this tree | {run(ROOT, fw, scenario, args.limit)} |", flush=True)
        ref = os.environ.get("BENCH_REF_TREE")
        if ref:
            name, scenario = next(iter(SCENARIOS.items()))
            cost = run(Path(ref).resolve(), fw, scenario, args.limit)
            print(f"| {name} | ref | {cost} |", flush=True)


if __name__ == "__main__":
    main()
