"""Network causes (issue 17 item 2): a name that does not resolve, a refused connection and a
timeout are told apart, fail fast (no backoff for a name that does not exist), and one line
says it when every source failed for the same one. Real sockets on loopback only; ``.invalid``
names are answered "no such name" by the guard's resolver itself (RFC 6761), never asked."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from imgharvest.errors import FetchError, NoNetwork, SourceError
from imgharvest.net.causes import Cause, NetFailure, cause_of, failure_in, no_network
from imgharvest.net.guard import GuardedResolver, NetworkGuard, never_resolves
from imgharvest.pipeline.fetch import Fetcher
from tests.conftest import free_port


@pytest.mark.parametrize("host", ["x.invalid", "WWW.BING.COM.INVALID.", "invalid"])
def test_invalid_names_never_resolve(host: str) -> None:
    assert never_resolves(host)


@pytest.mark.parametrize("host", ["invalid.example.org", "www.bing.com", "127.0.0.1"])
def test_other_names_are_asked(host: str) -> None:
    assert not never_resolves(host)


async def test_the_guarded_resolver_answers_invalid_names_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(socket.gaierror) as caught:
        await GuardedResolver(NetworkGuard()).resolve("bing.example.invalid", 443)
    assert caught.value.errno == socket.EAI_NONAME
    assert time.monotonic() - started < 0.1


@pytest.fixture
async def fetcher(make_settings: Any) -> AsyncIterator[Fetcher]:
    """Retries and backoff as a user has them (3, up to 30 s), so slowness would show."""
    settings = make_settings(retries=3, retry_max_wait=30.0, read_timeout=0.3, total_timeout=2.0)
    async with Fetcher(settings) as http:
        yield http


async def test_a_name_that_does_not_resolve_fails_at_once_as_dns(fetcher: Fetcher) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        await fetcher.get("https://www.bing.example.invalid/images/async")
    assert (caught.value.cause, caught.value.host) == ("dns", "www.bing.example.invalid")
    assert time.monotonic() - started < 1.0, "a name that does not exist is not retried"


async def test_a_refused_connection_gets_one_quick_retry_and_says_refused(
    fetcher: Fetcher,
) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        await fetcher.get(f"http://127.0.0.1:{free_port()}/")
    assert (caught.value.cause, caught.value.host) == ("refused", "127.0.0.1")
    assert time.monotonic() - started < 1.5, "no backoff of 0.5, 1, 2 s for a refusal"


async def test_a_silent_server_is_a_timeout(fetcher: Fetcher) -> None:
    done = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await done.wait()  # accepts, never answers
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        with pytest.raises(FetchError) as caught:
            await fetcher.get(f"http://127.0.0.1:{port}/")
        done.set()
        await asyncio.sleep(0.05)
    assert caught.value.cause == "timeout"


def test_aiohttp_errors_map_to_causes() -> None:
    key: Any = type("Key", (), {"host": "h", "port": 1, "ssl": True})()
    dns = aiohttp.ClientConnectorDNSError(key, socket.gaierror(socket.EAI_AGAIN, "again"))
    refused = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused"))
    unreachable = aiohttp.ClientConnectorError(key, OSError(101, "Network is unreachable"))
    other = aiohttp.ClientConnectorError(key, OSError(1, "something else"))
    assert [cause_of(e) for e in (dns, refused, unreachable, other)] == [
        Cause.DNS, Cause.REFUSED, Cause.UNREACHABLE, None,
    ]  # fmt: skip
    assert cause_of(TimeoutError()) == Cause.TIMEOUT
    assert cause_of(aiohttp.ServerDisconnectedError()) is None
    assert cause_of(ValueError("no")) is None


def test_the_failure_is_found_under_a_source_error() -> None:
    fetch = FetchError("https://h.invalid/", "connection", cause="dns", host="h.invalid")
    try:
        try:
            raise fetch
        except FetchError as exc:
            raise SourceError("bing", f"page 1: {exc}") from exc
    except SourceError as wrapped:
        assert failure_in(wrapped) == NetFailure(Cause.DNS, "h.invalid")
    assert failure_in(SourceError("bing", "layout changed?")) is None
    assert failure_in(FetchError("u", "http_error")) is None


def test_one_line_when_every_failure_has_one_cause() -> None:
    hosts = ["www.bing.com", "duckduckgo.com", "www.google.com", "api.openverse.org"]
    failures = {h.split(".")[1]: NetFailure(Cause.DNS, h) for h in hosts}
    error = no_network(failures)
    assert isinstance(error, NoNetwork)
    assert str(error) == (
        "no network: names do not resolve (www.bing.com, duckduckgo.com, www.google.com, …)"
    )
    assert error.cause == "dns" and error.hosts == hosts
    mixed = {**failures, "wikimedia": NetFailure(Cause.REFUSED, "commons.wikimedia.org")}
    assert no_network(mixed) is None
    assert no_network({}) is None
