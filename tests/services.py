"""Real outside services for scale-out tests, each private to a test and on loopback:
moto's S3 server, a redis-server, a fresh PostgreSQL database, a TCP proxy to cut links."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.waiting import wait_for

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_SESSION_TOKEN": "",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}  # fmt: skip


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class MotoS3:
    """``moto_server`` on a free loopback port with one uniquely named bucket."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.bucket = f"imgh-{uuid.uuid4().hex[:12]}"
        self.log = tmp / "moto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("moto_server", path=str(Path(sys.executable).parent))
        assert exe, "moto[server] is not installed (pip install -e '.[dev]')"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(self.port)],
                                         stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        wait_for(lambda: _listening(self.port), timeout=30)
        self.client().create_bucket(Bucket=self.bucket)

    def client(self) -> Any:
        import boto3

        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1", **keys)

    def object_keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return [obj["Key"] for obj in listed.get("Contents", [])]

    def archive_keys(self) -> list[str]:
        """The stored archives (each has its thumbnails beside it, ``thumbs.bin``; a search
        run's kept batches, ``kept/…``, go once the archive holds their images)."""
        return [k for k in self.object_keys() if k.endswith(".zip") and "/kept/" not in k]

    def stop(self) -> None:
        _stop(self.proc)


class PrivateRedis:
    """A redis-server of this test alone (no persistence): kill it and start it empty again."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.dir)]  # fmt: skip
        with (self.dir / "redis.log").open("ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: _listening(self.port), timeout=20, step=0.05)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        _stop(self.proc)


class FreshDatabase:
    """``imgh_<uuid>`` on the shared PostgreSQL server, dropped at teardown."""

    def __init__(self) -> None:
        self.name = f"imgh_{uuid.uuid4().hex}"
        self.url = f"postgresql://postgres@127.0.0.1:5432/{self.name}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create(self) -> None:
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class TcpProxy:
    """A loopback TCP relay (asyncio, in a thread) that can be cut and restored: a database
    outage for the processes behind it, without touching the server others share."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.port = free_port()
        self.target = (target_host, target_port)
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.AbstractServer | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()
        self._call(self._listen())

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()
        self.writers.discard(writer)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        self._call(self._cut())

    def restore(self) -> None:
        """Accept connections again."""
        self._call(self._listen())

    def stop(self) -> None:
        self._call(self._cut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def moto_s3(tmp_path: Path) -> Iterator[MotoS3]:
    """A moto S3 server with a fresh bucket (credentials: ``AWS_ENV``)."""
    server = MotoS3(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The fake credentials moto accepts, in this process's environment."""
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return AWS_ENV


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server for this test alone."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fresh_db() -> Iterator[FreshDatabase]:
    """A new, empty PostgreSQL database."""
    db = FreshDatabase()
    db.create()
    yield db
    db.drop()


def wait_until(check: Any, timeout: float) -> float:
    """``wait_for`` that returns how long it took (seconds)."""
    start = time.monotonic()
    wait_for(check, timeout=timeout, step=0.1)
    return time.monotonic() - start
