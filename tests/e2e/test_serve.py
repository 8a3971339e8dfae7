"""`imgharvest serve` as a process: kill -9 and restart; the original crawler API by curl."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SmtpSink, free_port
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.fakeweb.hub import make_hub
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-c", "from imgharvest.cli import main; main()", "serve"]


class Serve:
    """``imgharvest serve`` in a subprocess with its own data dir and port."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "serve.log"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "IMGHARVEST_PORT": str(self.port),
                    "IMGHARVEST_DATA_DIR": str(tmp / "data"), **env}  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.start_with()

    def start_with(self, *options: str) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([*SERVE, *options], env=self.env, cwd=self.log.parent,
                                         stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        wait_for(self._ready, timeout=60)

    def _ready(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-3000:]
        try:
            return httpx.get(f"{self.url}/docs", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/api/v1/jobs/{job_id}", timeout=10).json())


@pytest.fixture
def serve(tmp_path: Path, fakeweb: FakeWeb) -> Iterator[Callable[..., Serve]]:
    made: list[Serve] = []

    def factory(**env: str) -> Serve:
        base = {"IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.0/8", "IMGHARVEST_SOURCES": "bing",
                "IMGHARVEST_BING_URL": fakeweb.url, "IMGHARVEST_WORKERS": "2"}  # fmt: skip
        made.append(Serve(tmp_path, {**base, **env}))
        return made[-1]

    yield factory
    for proc in made:
        proc.stop()


@pytest.fixture
def slow_web() -> Iterator[FakeWeb]:
    """A second fake web that answers every request late (so a job is surely running)."""
    with FakeWeb(latency=0.4) as fw:
        yield fw


def done_events(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body["events"] if e["message"].startswith("job done")]


@pytest.mark.slow
def test_kill9_with_a_running_and_a_scheduled_job_both_finish_once(
    serve: Callable[..., Serve], slow_web: FakeWeb, smtp_sink: SmtpSink
) -> None:
    slow_web.add_catalog("slow lynx", cat.good(40, start=8000, prefix="sl"))
    slow_web.add_catalog("later lynx", cat.good(10, start=8100, prefix="ll"))
    app = serve(IMGHARVEST_BING_URL=slow_web.url, IMGHARVEST_FETCH_CONCURRENCY="2",
                IMGHARVEST_SMTP_URL=f"smtp://127.0.0.1:{smtp_sink.port}")  # fmt: skip
    app.start()
    api = f"{app.url}/api/v1/jobs/search"
    later = (datetime.now(UTC) + timedelta(seconds=25)).isoformat()
    running = httpx.post(api, json={"query": "slow lynx", "count": 30, "email": "r@example.org"})
    scheduled = httpx.post(api, json={"query": "later lynx", "count": 5, "email": "s@example.org",
                                      "run_at": later})  # fmt: skip
    run_id, sched_id = running.json()["id"], scheduled.json()["id"]
    wait_for(lambda: app.job(run_id)["status"] == "running" and app.job(run_id)["kept"] > 0)
    wait_for(lambda: smtp_sink.of_kind("being collected"), timeout=30)
    app.kill9()
    app.start()
    for job_id in (run_id, sched_id):
        body = wait_for(lambda j=job_id: app.job(j)["status"] == "done" and app.job(j), 180)
        assert len(done_events(body)) == 1
    restarted = [e["message"] for e in app.job(run_id)["events"] if "attempt 2" in e["message"]]
    assert len(restarted) == 1  # the killed run was picked up again, once
    time.sleep(3)  # any duplicate mail would arrive now
    for address in ("r@example.org", "s@example.org"):
        mine = [m for m in smtp_sink.messages if m["To"] == address]
        subjects = sorted(str(m["Subject"]).split("”")[-1] for m in mine)
        assert subjects == [" are being collected", " are ready"], subjects


def curl(*args: str, stdin: str | None = None) -> Any:
    """Run curl as the original README does; the JSON it printed."""
    done = subprocess.run(["curl", "-s", *args], input=stdin.encode() if stdin else None,
                          capture_output=True, check=True, timeout=30)  # fmt: skip
    return httpx.Response(200, content=done.stdout).json()


def test_original_crawler_readme_session_with_curl(
    serve: Callable[..., Serve], fakeweb: FakeWeb
) -> None:
    site = make_hub(fakeweb.url, f"readme-{uuid.uuid4().hex[:8]}", children=8)
    app = serve()
    app.start()
    # The original README, verbatim but for host and URL:
    #   curl -X POST -F "inputs=@-" http://127.0.0.1:5000/ << EOF ... EOF
    posted = curl("-X", "POST", "-F", "inputs=@-", f"{app.url}/", stdin=site.url + "\n")
    ok = {"statusMsg": "OK", "statusDetails": {}, "statusCode": "HTTPOk"}
    assert posted == {"status": ok, "result": "job_id: 0"}
    #   curl -X GET http://127.0.0.1:5000/status/0  (while the linked pages are still loading)
    running = wait_for(lambda: (s := curl("-X", "GET", f"{app.url}/status/0"))["result"]
                       ["in_process"] == 5 and s)  # fmt: skip
    assert running == {"status": ok, "result": {"completed": 1, "in_process": 5}}
    #   curl -X GET http://127.0.0.1:5000/result/0  (before the job ends: the hub's links)
    early = curl("-X", "GET", f"{app.url}/result/0")
    assert early["result"] == {"count": 2, "img_links": site.image_links()[:2]}
    assert curl("-X", "GET", f"{app.url}/status/0")["result"]["in_process"] == 5
    site.release()
    done = wait_for(lambda: (s := curl("-X", "GET", f"{app.url}/status/0"))["result"]
                    ["completed"] == 9 and s, timeout=60)  # fmt: skip
    assert done["result"] == {"completed": 9, "in_process": 0}  # 1 given + 8 followed
    final = curl("-X", "GET", f"{app.url}/result/0")
    assert final["status"] == ok and final["result"]["count"] == 18
    assert sorted(final["result"]["img_links"]) == sorted(site.image_links())
    unknown = curl("-X", "GET", f"{app.url}/status/5")
    assert unknown == {
        "status": {"statusMsg": "Resource not found", "statusDetails": {},
                   "statusCode": "ResourceNotFound"},
        "result": "No status found for the given job_id 5",
    }  # fmt: skip
    no_result = curl("-X", "GET", f"{app.url}/result/5")
    assert no_result["result"] == "No result found for the given job_id 5"
    for path in ("/status/5", "/status/nope"):
        code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                               app.url + path], capture_output=True, check=True)  # fmt: skip
        assert code.stdout == (b"200" if path.endswith("5") else b"404")


def children(pid: int) -> list[int]:
    """The pids of a process's children, whichever thread started them (Linux /proc)."""
    tasks = Path(f"/proc/{pid}/task").glob("*/children")
    return sorted(int(p) for task in tasks for p in task.read_text().split())


def gone(pid: int) -> bool:
    """Whether a process has ended (a zombie waiting for its reaper counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.mark.slow
def test_serve_runs_jobs_in_a_child_that_dies_with_it(
    serve: Callable[..., Serve], slow_web: FakeWeb
) -> None:
    slow_web.add_catalog("child lynx", cat.good(30, start=8200, prefix="cl"))
    app = serve(IMGHARVEST_BING_URL=slow_web.url, IMGHARVEST_FETCH_CONCURRENCY="2")
    app.start()
    assert app.proc is not None
    (child,) = wait_for(lambda: children(app.proc.pid) if app.proc else None, timeout=30)
    posted = httpx.post(f"{app.url}/api/v1/jobs/search", json={"query": "child lynx", "count": 20})
    job_id = posted.json()["id"]
    body = wait_for(lambda: (b := app.job(job_id))["kept"] > 0 and b)
    named = {e["worker"] for e in body["events"] if e["worker"]}
    assert named, body["events"]
    pids = {int(worker.rsplit(":", 1)[1]) for worker in named}
    assert pids == {child}  # the job ran in the child, not in serve
    assert app.proc.pid not in pids
    app.kill9()
    wait_for(lambda: gone(child), timeout=10, step=0.1)


@pytest.mark.slow
def test_a_dead_worker_child_is_replaced_and_the_job_finishes(
    serve: Callable[..., Serve], slow_web: FakeWeb
) -> None:
    slow_web.add_catalog("phoenix lynx", cat.good(20, start=8300, prefix="pl"))
    app = serve(IMGHARVEST_BING_URL=slow_web.url, IMGHARVEST_FETCH_CONCURRENCY="2")
    app.start()
    assert app.proc is not None
    (first,) = wait_for(lambda: children(app.proc.pid) if app.proc else None, timeout=30)
    posted = httpx.post(
        f"{app.url}/api/v1/jobs/search", json={"query": "phoenix lynx", "count": 10}
    )
    job_id = posted.json()["id"]
    wait_for(lambda: app.job(job_id)["status"] == "running")
    os.kill(first, signal.SIGKILL)
    (second,) = wait_for(lambda: [p for p in children(app.proc.pid) if p != first] if app.proc
                         else None, timeout=30)  # fmt: skip
    body = wait_for(lambda: (b := app.job(job_id))["status"] == "done" and b, timeout=120)
    assert len(done_events(body)) == 1
    assert f":{second}" in {e["worker"][-len(str(second)) - 1 :] for e in body["events"]
                            if e["worker"]}  # fmt: skip
    assert app.proc.poll() is None  # serve itself never noticed more than a log line


def test_serve_in_process_keeps_jobs_in_serve(
    serve: Callable[..., Serve], fakeweb: FakeWeb
) -> None:
    fakeweb.add_catalog("home lynx", cat.good(6, start=8400, prefix="hl"))
    app = serve()
    app.start_with("--in-process")
    assert app.proc is not None
    posted = httpx.post(f"{app.url}/api/v1/jobs/search", json={"query": "home lynx", "count": 3})
    body = wait_for(lambda: (b := app.job(posted.json()["id"]))["status"] == "done" and b)
    named = {e["worker"] for e in body["events"] if e["worker"]}
    assert {int(w.rsplit(":", 1)[1]) for w in named} == {app.proc.pid}
    assert children(app.proc.pid) == []
