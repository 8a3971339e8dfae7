"""`imgharvest serve` as a process: kill -9 and restart; the original crawler API by curl."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SmtpSink, free_port
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.fakeweb.pages import expected
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
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(SERVE, env=self.env, cwd=self.log.parent, stdout=log,
                                         stderr=subprocess.STDOUT)  # fmt: skip
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


def test_original_crawler_api_with_curl(serve: Callable[..., Serve], fakeweb: FakeWeb) -> None:
    app = serve()
    app.start()
    pages = ["fixtures/base-relative.html", "fixtures/srcset.html"]
    urls = "".join(f"{fakeweb.url}/site/{p}\n" for p in pages)
    posted = subprocess.run(["curl", "-s", "-X", "POST", "-F", "inputs=@-", f"{app.url}/"],
                            input=urls.encode(), capture_output=True, check=True)  # fmt: skip
    answer = httpx.Response(200, content=posted.stdout).json()
    assert answer["status"] == {"statusMsg": "OK", "statusDetails": {}, "statusCode": "HTTPOk"}
    job_id = answer["result"].removeprefix("job_id: ")

    def status() -> dict[str, Any]:
        return dict(httpx.get(f"{app.url}/status/{job_id}").json()["result"])

    wait_for(lambda: status()["completed"] == 2)
    assert status() == {"completed": 2, "in_process": 0}
    result = httpx.get(f"{app.url}/result/{job_id}").json()
    want = [url for p in pages for _, url in expected(p, fakeweb.url)]
    assert result["status"]["statusCode"] == "HTTPOk"
    assert result["result"] == {"count": len(want), "img_links": want}
    missing = httpx.get(f"{app.url}/status/nope")
    assert missing.status_code == 404
    assert missing.json()["status"]["statusCode"] == "ResourceNotFound"
