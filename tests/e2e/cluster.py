"""A scale-out fleet for e2e tests: ``serve --web-only`` and ``worker`` processes, each with its
own DATA_DIR, on a fresh PostgreSQL database, a private Redis and moto's S3, all on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from tests.conftest import SmtpSink, free_port
from tests.fakeweb import FakeWeb
from tests.services import AWS_ENV, FreshDatabase, MotoS3, PrivateRedis
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "imgharvest"]


class Proc:
    """One ``imgharvest`` process (web or worker) with its own data dir and log."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], tmp: Path) -> None:
        self.name, self.args, self.env = name, args, env
        self.dir = tmp / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log = self.dir / "process.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> Proc:
        env = {**self.env, "IMGHARVEST_DATA_DIR": str(self.data_dir)}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(CLI + self.args, env=env, cwd=self.dir, stdout=log,
                                         stderr=subprocess.STDOUT)  # fmt: skip
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def kill9(self) -> None:
        self.signal(signal.SIGKILL)
        assert self.proc is not None
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGCONT)  # a stopped process cannot handle SIGTERM
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


class Cluster:
    """The fleet's shared services and its processes; ``web`` is the web tier's base URL."""

    def __init__(self, tmp: Path, db: FreshDatabase, redis: PrivateRedis, s3: MotoS3,
                 smtp: SmtpSink, fakeweb: FakeWeb) -> None:  # fmt: skip
        self.tmp, self.db, self.redis, self.s3, self.smtp = tmp, db, redis, s3, smtp
        self.port = free_port()
        self.web = f"http://127.0.0.1:{self.port}"
        self.env: dict[str, str] = {
            **os.environ, **AWS_ENV, "PYTHONPATH": str(ROOT),
            "IMGHARVEST_DATABASE_URL": db.url, "IMGHARVEST_QUEUE_URL": redis.url,
            "IMGHARVEST_QUEUE_NAME": f"q{uuid.uuid4().hex[:10]}",
            "IMGHARVEST_STORAGE_URL": f"s3://{s3.bucket}/archives",
            "IMGHARVEST_S3_ENDPOINT_URL": s3.url, "IMGHARVEST_SECRET_KEY": uuid.uuid4().hex,
            "IMGHARVEST_PUBLIC_URL": self.web, "IMGHARVEST_PORT": str(self.port),
            "IMGHARVEST_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.0/8", "IMGHARVEST_SOURCES": "bing",
            "IMGHARVEST_BING_URL": fakeweb.url, "IMGHARVEST_WORKERS": "2",
            "IMGHARVEST_HOUSEKEEPING_SECONDS": "1", "IMGHARVEST_SUBMIT_RATE_PER_MINUTE": "1000",
        }  # fmt: skip
        self.env.pop("AWS_PROFILE", None)
        self.procs: list[Proc] = []

    def process(self, name: str, args: list[str], **env: str) -> Proc:
        proc = Proc(name, args, {**self.env, **env}, self.tmp)
        self.procs.append(proc)
        return proc

    def web_only(self, **env: str) -> Proc:
        return self.process("web", ["serve", "--web-only"], **env)

    def worker(self, name: str, **env: str) -> Proc:
        return self.process(name, ["worker"], **env)

    def health(self) -> dict[str, Any]:
        try:
            got = httpx.get(f"{self.web}/healthz", timeout=3)
        except httpx.HTTPError:
            return {}
        return dict(got.json()) if got.status_code in (200, 503) else {}

    def wait_ready(self, workers: int, timeout: float = 60) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            for proc in self.procs:
                assert proc.alive() or proc.proc is None, f"{proc.name} died:\n{proc.tail()}"
            body = self.health()
            return body if body.get("workers", 0) >= workers else None

        return dict(wait_for(ready, timeout=timeout))

    def submit(self, query: str, count: int, email: str, **extra: Any) -> str:
        body = {"query": query, "count": count, **({"email": email} if email else {}), **extra}
        got = httpx.post(f"{self.web}/api/v1/jobs/search", json=body, timeout=30)
        assert got.status_code == 201, got.text
        return str(got.json()["id"])

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(httpx.get(f"{self.web}/api/v1/jobs/{job_id}", timeout=30).json())

    def sql(self, query: str, *args: Any) -> list[dict[str, Any]]:
        with psycopg.connect(self.db.url, row_factory=dict_row) as conn:
            return list(conn.execute(query, args).fetchall())  # type: ignore[arg-type]

    def row(self, job_id: str) -> dict[str, Any]:
        return self.sql("SELECT * FROM jobs WHERE id = %s", job_id)[0]

    def events(self, job_id: str) -> list[dict[str, Any]]:
        return self.sql("SELECT * FROM job_events WHERE job_id = %s ORDER BY id", job_id)

    def mails_to(self, address: str) -> list[str]:
        """Subjects' endings of the messages to ``address``, in the order they arrived."""
        return [str(m["Subject"]).split("”")[-1].strip()
                for m in list(self.smtp.messages) if m["To"] == address]  # fmt: skip

    def local_zips(self) -> list[Path]:
        return [p for proc in self.procs for p in proc.data_dir.rglob("*.zip")]

    def stop(self) -> None:
        for proc in self.procs:
            proc.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail()}" for p in self.procs)


def slow_fleet(
    cluster: Cluster, slow_web: FakeWeb, workers: int = 2, only_workers: Any = None, **env: str
) -> list[Proc]:
    """A web tier and ``workers`` one-thread workers fetching slowly from ``slow_web``."""
    env = {"IMGHARVEST_BING_URL": slow_web.url, "IMGHARVEST_FETCH_CONCURRENCY": "2",
           "IMGHARVEST_WORKERS": "1", **env}  # fmt: skip
    worker_env = {**env, **(only_workers or {})}
    procs = [cluster.web_only(**env)]
    procs += [cluster.worker(f"w{i}", **worker_env) for i in range(workers)]
    for proc in procs:
        proc.start()
    cluster.wait_ready(workers=workers)
    return procs


def runner_of(cluster: Cluster, procs: list[Proc], job_id: str) -> Proc:
    """The worker process whose run holds the job now."""
    pid = str(cluster.row(job_id)["worker"]).rsplit(":", 1)[-1]
    return next(p for p in procs if str(p.pid) == pid)


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def cluster(
    tmp_path: Path, fresh_db: FreshDatabase, private_redis: PrivateRedis, moto_s3: MotoS3,
    smtp_sink: SmtpSink, fakeweb: FakeWeb,
) -> Iterator[Cluster]:  # fmt: skip
    """The shared services; tests start the processes they need."""
    made = Cluster(tmp_path, fresh_db, private_redis, moto_s3, smtp_sink, fakeweb)
    yield made
    made.stop()
