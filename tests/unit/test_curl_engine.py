"""A libcurl transfer's body: a small 2xx one is written and hashed in the engine thread."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgharvest.pipeline.curl_engine import Request, Transfer


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def _answered(dest: Path, loop: asyncio.AbstractEventLoop, status: bytes) -> Transfer:
    transfer = Transfer(Request("http://127.0.0.1/a.jpg", dest), 1000, loop.create_future())
    transfer.raw_headers.append(b"HTTP/1.1 " + status + b"\r\n")
    for part in (b"abc", b"def"):
        assert transfer.write(part) is None
    transfer.finish()
    return transfer


def test_a_small_body_arrives_written_and_hashed(
    tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> None:
    got = _answered(tmp_path / "img", loop, b"200 OK")
    assert (tmp_path / "img").read_bytes() == b"abcdef"
    assert got.sha256 == hashlib.sha256(b"abcdef").hexdigest()
    assert got.chunks == []


def test_a_failed_write_leaves_the_body_to_the_caller(
    tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> None:
    got = _answered(tmp_path / "gone" / "img", loop, b"200 OK")
    assert got.sha256 is None
    assert b"".join(got.chunks) == b"abcdef"
    assert not (tmp_path / "gone").exists()


def test_an_error_answer_writes_nothing(tmp_path: Path, loop: asyncio.AbstractEventLoop) -> None:
    got = _answered(tmp_path / "img", loop, b"404 Not Found")
    assert got.sha256 is None
    assert not (tmp_path / "img").exists()
