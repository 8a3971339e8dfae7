"""The head-bounded HTTP protocol on a real uvicorn: a head of the limit passes, one byte more
is 431 and a closed connection; bodies, pipelined requests and keep-alive get their own room."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from imgharvest.web.headlimit import head_limited
from tests.conftest import free_port

LIMIT = 4096


async def echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the length of the body it read."""
    if scope["type"] != "http":
        return
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = str(size).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    port = free_port()
    config = uvicorn.Config(echo_length, host="127.0.0.1", port=port, log_config=None,
                            http=head_limited(LIMIT), lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def head(size: int, method: str = "GET", body: bytes = b"") -> bytes:
    """A request whose line and headers (up to the blank line's end) are ``size`` bytes."""
    start = f"{method} / HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nX-Pad: ".encode()
    pad = size - len(start) - len(b"\r\n\r\n")
    return start + b"a" * pad + b"\r\n\r\n" + body


def exchange(port: int, data: bytes, answers: int = 1) -> list[bytes]:
    """Send ``data`` in one write; the answers read until ``answers`` came or the socket closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        got = b""
        while got.count(b"HTTP/1.1 ") < answers or not _complete(got):
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
    return [b"HTTP/1.1 " + part for part in got.split(b"HTTP/1.1 ")[1:]]


def _complete(got: bytes) -> bool:
    last = got.rsplit(b"HTTP/1.1 ", 1)[-1]
    headers, _, body = last.partition(b"\r\n\r\n")
    length = [int(x.split(b":")[1]) for x in headers.lower().split(b"\r\n")
              if x.startswith(b"content-length:")]  # fmt: skip
    return bool(length) and len(body) >= length[0]


def test_a_head_of_exactly_the_limit_is_served(port: int) -> None:
    (answer,) = exchange(port, head(LIMIT))
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\n0")


def test_one_byte_past_the_limit_is_431_naming_the_headers(port: int) -> None:
    (answer,) = exchange(port, head(LIMIT + 1))
    assert answer.startswith(b"HTTP/1.1 431")
    body = json.loads(answer.partition(b"\r\n\r\n")[2])
    assert body == {"errors": {"headers": f"the request's headers are larger than {LIMIT} bytes"}}


def test_a_body_read_with_the_head_does_not_count_as_head(port: int) -> None:
    (answer,) = exchange(port, head(200, "POST", b"b" * 600_000))
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"600000")


def test_pipelined_and_kept_alive_requests_each_get_the_whole_room(port: int) -> None:
    data = head(LIMIT - 10, "POST", b"x" * 5000) + head(LIMIT) + head(LIMIT)
    answers = exchange(port, data, answers=3)
    assert [a[:12] for a in answers] == [b"HTTP/1.1 200"] * 3
    assert answers[0].endswith(b"5000")


def test_an_unfinished_huge_header_is_cut_at_the_limit(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ")
        started, answer = time.monotonic(), b""
        try:
            for _ in range(128):  # 8 MiB at most, never finished
                sock.sendall(b"a" * 65536)
            answer = sock.recv(65536)
        except OSError:  # reset: the server closed a connection that was still sending
            answer = b"reset"
    # A timeout is an OSError too, but then the time bound fails.
    assert answer.startswith((b"HTTP/1.1 431", b"reset")) or answer == b"", answer[:100]
    assert time.monotonic() - started < 3
