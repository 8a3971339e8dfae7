"""The web tier under load, against a real ``imgharvest serve`` on loopback: the job page's
latency while 10 jobs of 500 images run, then 50 API clients submitting back to back (with
no job running, then while 5 big jobs run). Issue 11: serve's default (workers in a child
process) and ``serve --in-process`` (the workers as threads of the web process), one after
the other in one run, the machine's load with each figure. The fake web runs in a process
of its own, so it does not share the load client's GIL. Bounded in time and count; nothing
leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bench import tools
from bench.profile import RATE, summarise
from tests.fakeweb import FakeWeb
from tests.fakeweb.catalog import good

SUBMIT = "/api/v1/jobs/search"
READY_SECONDS = 60.0
BIG_JOB_SECONDS = 180.0
BIG_QUERY = "bench api big"
MODES = {"child": [], "in-process": ["--in-process"]}
STOP_SECONDS = 15.0


def main() -> None:
    """``python -m bench.api_load``: print the summary of one run."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="imgharvest-api-") as tmp:
        print(api_scenario(Path(tmp), profile=(tools.BENCH_VENV / "py-spy").exists()), flush=True)


@dataclass
class Latencies:
    """Request latencies (seconds) and status counts of one phase."""

    seconds: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    load: float = field(default_factory=lambda: os.getloadavg()[0])  # 1-min load at the start

    def summary(self, ok: int) -> str:
        """Count, errors, p50/p99/max in ms, the load average at start and end."""
        if not self.seconds:
            return "no requests"
        errors = sum(n for s, n in self.statuses.items() if s != str(ok))
        qs = statistics.quantiles(self.seconds, n=100) if len(self.seconds) > 1 else self.seconds
        p50, p99 = qs[min(49, len(qs) - 1)], qs[min(98, len(qs) - 1)]
        return (
            f"{len(self.seconds)} requests, {errors} errors {dict(self.statuses)}, "
            f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
            f"max {max(self.seconds) * 1000:.1f} ms, "
            f"load {self.load:.1f} -> {os.getloadavg()[0]:.1f}"
        )


def api_scenario(
    work: Path, clients: int = 50, seconds: float = 30.0, jobs: int = 10, profile: bool = False
) -> str:
    """Start the fake web, then ``imgharvest serve`` in each mode in turn; run the phases."""
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    web = ctx.Process(target=_fake_web, args=(ready, stop), daemon=True)
    web.start()
    try:
        url = ready.get(timeout=60)
        parts = [_mode(work / mode, url, mode, clients, seconds, jobs, profile) for mode in MODES]
    finally:
        stop.set()
        web.join(10)
    return "\n\n".join(parts)


def _fake_web(ready: multiprocessing.Queue[str], stop: object) -> None:
    with FakeWeb(latency=0.05) as web:
        web.add_catalog(BIG_QUERY, good(600, start=900_000, prefix="api"))
        ready.put(web.url)
        stop.wait()  # type: ignore[attr-defined]


def _mode(
    work: Path, url: str, mode: str, clients: int, seconds: float, jobs: int, profile: bool
) -> str:
    work.mkdir(parents=True)
    port = _free_port()
    server = _start_server(url, port, work, MODES[mode])
    try:
        base = f"http://127.0.0.1:{port}"
        spy = (server.pid, work) if profile else None
        body = asyncio.run(_phases(base, clients, seconds, jobs, spy))
    finally:
        _stop(server)
    return f"## serve ({mode})\n{body}"


async def _phases(
    base: str, clients: int, seconds: float, jobs: int, profile: tuple[int, Path] | None
) -> str:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients + 10)) as http:
        await _wait_ready(http, base)
        # The big jobs first: thousands of queued small jobs would otherwise run before them.
        page, done = await _page_under_jobs(http, base, jobs)
        lines = [f"job page while {jobs} x 500-image jobs ran ({done} finished): "
                 + page.summary(200)]  # fmt: skip
        lat = await _submit_load(http, base, clients, seconds, pace=0.0, later=True)
        lines.append(f"submit, {clients} clients back to back, {seconds:.0f} s, no job running: "
                     + lat.summary(201))  # fmt: skip
        running = await _submit_big(http, base, jobs // 2)
        lat = await _submit_load(http, base, clients, seconds, pace=0.0, later=True)
        lines.append(f"submit, {clients} clients back to back, {seconds:.0f} s, while "
                     f"{len(running)} x 500-image jobs run: " + lat.summary(201))  # fmt: skip
        if profile is not None:
            lines.append(await _profiled(http, base, *profile, clients))
    return "\n".join(lines)


async def _submit_load(
    http: aiohttp.ClientSession,
    base: str,
    clients: int,
    seconds: float,
    *,
    pace: float,
    later: bool,
) -> Latencies:
    """``clients`` concurrent submitters: back to back (``pace`` 0) or one per ``pace`` s each."""
    lat = Latencies()
    deadline = time.monotonic() + seconds
    body = {"query": "bench api", "count": 5, "email": "load@example.org", "sources": ["bing"]}
    if later:
        body["run_at"] = (datetime.now(UTC) + timedelta(days=1)).isoformat(timespec="seconds")

    async def client(offset: float) -> None:
        await asyncio.sleep(offset)  # spread paced clients over the interval
        while time.monotonic() < deadline:
            start = time.monotonic()
            await _timed(http, "POST", base + SUBMIT, lat, json=body)
            await asyncio.sleep(max(0.0, pace - (time.monotonic() - start)))

    await asyncio.gather(*(client(pace * i / clients) for i in range(clients)))
    return lat


async def _profiled(
    http: aiohttp.ClientSession, base: str, pid: int, work: Path, clients: int, seconds: int = 15
) -> str:
    """Closed-loop submits again, with py-spy on the server: what holds its GIL meanwhile."""
    raw = work / "serve-spy.txt"
    spy = [str(tools.BENCH_VENV / "py-spy"), "record", "--pid", str(pid), "--gil", "-r"]
    spy += [str(RATE), "-d", str(seconds), "-f", "raw", "--full-filenames", "-o", str(raw)]
    proc = subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await _submit_load(http, base, clients, seconds, pace=0.0, later=True)
    proc.wait(timeout=seconds + 30)
    text = raw.read_text() if raw.exists() else ""
    return f"## serve under closed-loop submits, GIL holder ({seconds} s)\n" + summarise(text, 25)


async def _page_under_jobs(
    http: aiohttp.ClientSession, base: str, jobs: int
) -> tuple[Latencies, int]:
    ids = await _submit_big(http, base, jobs)
    lat, deadline, done = Latencies(), time.monotonic() + BIG_JOB_SECONDS, 0
    while time.monotonic() < deadline and done < jobs:
        for job_id in ids:
            await _timed(http, "GET", f"{base}/jobs/{job_id}", lat)
        done = await _finished(http, base, ids)
        await asyncio.sleep(0.2)
    return lat, done


async def _submit_big(http: aiohttp.ClientSession, base: str, jobs: int) -> list[str]:
    body = {"query": BIG_QUERY, "count": 500, "email": "load@example.org", "sources": ["bing"]}
    ids = []
    for _ in range(jobs):
        async with http.post(base + SUBMIT, json=body) as resp:
            ids.append((await resp.json())["id"])
    return ids


async def _finished(http: aiohttp.ClientSession, base: str, ids: list[str]) -> int:
    count = 0
    for job_id in ids:
        async with http.get(f"{base}/api/v1/jobs/{job_id}") as resp:
            status = (await resp.json()).get("status")
        count += status not in ("scheduled", "running")
    return count


async def _timed(
    http: aiohttp.ClientSession, method: str, url: str, lat: Latencies, **kw: object
) -> None:
    t0 = time.perf_counter()
    try:
        async with http.request(method, url, **kw) as resp:  # type: ignore[arg-type]
            await resp.read()
            lat.statuses[str(resp.status)] += 1
    except (aiohttp.ClientError, TimeoutError) as exc:
        lat.statuses[type(exc).__name__] += 1
    lat.seconds.append(time.perf_counter() - t0)


async def _wait_ready(http: aiohttp.ClientSession, base: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        try:
            async with http.get(base + "/") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("imgharvest serve did not answer in time")


def _start_server(
    fake_url: str, port: int, work: Path, options: list[str]
) -> subprocess.Popen[bytes]:
    sources = ("BING", "DUCKDUCKGO", "OPENVERSE", "WIKIMEDIA")
    env = tools.base_env() | {f"IMGHARVEST_{name}_URL": fake_url for name in sources}
    env |= {
        "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.0/8",
        "IMGHARVEST_DATA_DIR": str(work / "data"),
        "IMGHARVEST_PORT": str(port),
        "IMGHARVEST_SOURCES": "bing",
        "IMGHARVEST_SUBMIT_RATE_PER_MINUTE": "1000000",
    }
    log = (work / "serve.log").open("wb")
    argv = [*tools.imgharvest_cli(), "serve", *options]
    return subprocess.Popen(argv, env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    # running big jobs would hold a graceful stop for 30 s; the worker child dies with serve
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
