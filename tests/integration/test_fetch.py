"""The fetcher against the fake web: the network guard on every hop, and hostile hosts."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohappyeyeballs
import pytest

from imgharvest.errors import FetchError, GuardError
from imgharvest.events import EventList
from imgharvest.pipeline import curl_engine
from imgharvest.pipeline.curl_fetch import CurlFetcher
from imgharvest.pipeline.fetch import Fetcher
from imgharvest.pipeline.records import Reason
from imgharvest.settings import Settings
from tests.fakeweb import FakeWeb, images
from tests.fakeweb.hosts import good_image
from tests.unit.test_guard import FixedResolver

BACKENDS: dict[str, type[Fetcher]] = {"aiohttp": Fetcher, "curl": CurlFetcher}


@pytest.fixture(autouse=True, params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs on both download backends (``get`` is aiohttp's on both)."""
    monkeypatch.setitem(globals(), "Fetcher", BACKENDS[request.param])
    return str(request.param)


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every address aiohttp or libcurl opens a socket to, recorded before the attempt."""
    seen: list[str] = []
    real = aiohappyeyeballs.start_connection
    real_open = curl_engine.open_socket

    async def counting(addr_infos: Any, *args: Any, **kwargs: Any) -> socket.socket:
        seen.extend(info[4][0] for info in addr_infos)
        return await real(addr_infos, *args, **kwargs)

    def counting_open(family: int, socktype: int, protocol: int, address: str) -> socket.socket:
        seen.append(address)
        return real_open(family, socktype, protocol, address)

    monkeypatch.setattr(aiohappyeyeballs, "start_connection", counting)
    monkeypatch.setattr(curl_engine, "open_socket", counting_open)
    yield seen


def key() -> str:
    return uuid.uuid4().hex[:12]


def unguarded(make_settings: Any, **overrides: Any) -> Settings:
    """Settings with no network exempt from the guard (the production default)."""
    return make_settings(allowed_networks=[], **overrides)  # type: ignore[no-any-return]


# -- acceptance 4: the network guard -------------------------------------------------

REFUSED_TARGETS = [
    "http://127.0.0.1:{port}{path}",
    "http://localhost:{port}{path}",
    "http://[::1]:{port}{path}",
    "http://2130706433:{port}{path}",
    "http://0x7f000001:{port}{path}",
    "http://017700000001:{port}{path}",
    "http://127.1:{port}{path}",
    "http://[::ffff:127.0.0.1]:{port}{path}",
    "http://10.0.0.1{path}",
    "http://169.254.169.254{path}",
]


@pytest.mark.parametrize("target", REFUSED_TARGETS)
async def test_guard_refuses_without_connecting(
    target: str, fakeweb: FakeWeb, make_settings: Any, connects: list[str], tmp_path: Path
) -> None:
    path = f"/hostile/good/{key()}.jpg"
    url = target.format(port=fakeweb.port, path=path)
    dest = tmp_path / "x.jpg"
    async with Fetcher(unguarded(make_settings)) as fetcher:
        with pytest.raises(GuardError):
            await fetcher.get(url)
        result = await fetcher.download(url, dest)
    assert (result.ok, result.reason) == (False, Reason.GUARD)
    assert "blocked" in result.detail
    assert not dest.exists()
    assert connects == []
    assert fakeweb.hits[path] == 0


async def test_guard_refuses_a_name_resolving_to_loopback(
    fakeweb: FakeWeb, make_settings: Any, connects: list[str], tmp_path: Path
) -> None:
    path = f"/hostile/good/{key()}.jpg"
    url = f"http://images.example:{fakeweb.port}{path}"
    seam = FixedResolver("127.0.0.1")
    async with Fetcher(unguarded(make_settings), resolver=seam) as fetcher:
        result = await fetcher.download(url, tmp_path / "x.jpg")
        with pytest.raises(GuardError, match=r"resolves to 127\.0\.0\.1"):
            await fetcher.get(url)
    assert result.reason == Reason.GUARD
    assert connects == []
    assert fakeweb.hits[path] == 0


async def test_the_same_name_is_reachable_once_its_network_is_allowed(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    url = f"http://images.example:{fakeweb.port}/hostile/good/{key()}.jpg"
    async with Fetcher(make_settings(), resolver=FixedResolver("127.0.0.1")) as fetcher:
        result = await fetcher.download(url, tmp_path / "x.jpg")
    assert result.ok, result.detail


def _redirect(fakeweb: FakeWeb, to: str) -> str:
    return f"{fakeweb.url}/hostile/redirect?to={to}"


@pytest.mark.parametrize(
    ("allowed", "target"),
    [
        ("127.0.0.0/8", "http://10.0.0.1/latest"),
        ("127.0.0.0/8", "http://169.254.169.254/latest/meta-data/"),
        ("127.0.0.0/8", "http://167772161/"),
        ("127.0.0.0/8", "http://[::1]:{port}/hostile/good/{key}.jpg"),
        ("127.0.0.0/8", "http://[::ffff:10.0.0.1]/"),
        ("127.0.0.0/8", "ftp://{host}:{port}/x"),
        ("127.0.0.1/32", "http://127.0.0.2:{port}/hostile/good/{key}.jpg"),
        ("127.0.0.1/32", "http://2130706434:{port}/hostile/good/{key}.jpg"),
        ("127.0.0.1/32", "http://0x7f000002:{port}/hostile/good/{key}.jpg"),
        ("127.0.0.1/32", "http://127.2:{port}/hostile/good/{key}.jpg"),
    ],
)
async def test_guard_checks_every_redirect_hop(
    allowed: str,
    target: str,
    fakeweb: FakeWeb,
    make_settings: Any,
    connects: list[str],
    tmp_path: Path,
) -> None:
    k = key()
    to = target.format(host="127.0.0.1", port=fakeweb.port, key=k)
    settings = make_settings(allowed_networks=[allowed])
    async with Fetcher(settings) as fetcher:
        result = await fetcher.download(_redirect(fakeweb, to), tmp_path / "x.jpg")
        with pytest.raises(GuardError):
            await fetcher.get(_redirect(fakeweb, to))
    assert result.reason == Reason.GUARD
    assert set(connects) == {"127.0.0.1"}  # only the allowed first hop
    assert fakeweb.hits[f"/hostile/good/{k}.jpg"] == 0


async def test_redirect_to_a_name_resolving_to_loopback_is_refused(
    fakeweb: FakeWeb, make_settings: Any, connects: list[str], tmp_path: Path
) -> None:
    path = f"/hostile/good/{key()}.jpg"
    to = f"http://localhost:{fakeweb.port}{path}"
    settings = make_settings(allowed_networks=["127.0.0.1/32"])
    seam = FixedResolver("127.0.0.2")
    async with Fetcher(settings, resolver=seam) as fetcher:
        result = await fetcher.download(_redirect(fakeweb, to), tmp_path / "x.jpg")
    assert result.reason == Reason.GUARD
    assert set(connects) == {"127.0.0.1"}
    assert fakeweb.hits[path] == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_allowed_networks_make_the_fake_web_reachable(
    host: str, fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    path = f"/hostile/good/{key()}.jpg"
    url = f"http://{host}:{fakeweb.port}{path}?seed=5"
    dest = tmp_path / "ok.jpg"
    async with Fetcher(make_settings(allowed_networks=["127.0.0.0/8"])) as fetcher:
        result = await fetcher.download(url, dest)
        page = await fetcher.get(url)
    body = good_image(5)
    assert result.ok, result.detail
    assert (result.size, result.sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert dest.read_bytes() == body
    assert page.status == 200
    assert fakeweb.hits[path] == 2


async def test_allowed_networks_env_var_opens_the_fake_web(
    fakeweb: FakeWeb, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("IMGHARVEST_ALLOWED_NETWORKS", "127.0.0.0/8")
    url = f"{fakeweb.url}/hostile/good/{key()}.jpg"
    async with Fetcher(Settings(_env_file=None, data_dir=tmp_path)) as fetcher:  # type: ignore[call-arg]
        result = await fetcher.download(url, tmp_path / "env.jpg")
    assert result.ok, result.detail
    monkeypatch.delenv("IMGHARVEST_ALLOWED_NETWORKS")
    async with Fetcher(Settings(_env_file=None, data_dir=tmp_path)) as fetcher:  # type: ignore[call-arg]
        refused = await fetcher.download(url, tmp_path / "env2.jpg")
    assert refused.reason == Reason.GUARD


# -- acceptance 5: hostile hosts ---------------------------------------------------


async def test_trickle_forever_ends_with_a_timeout(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    dest = tmp_path / "trickle.jpg"
    settings = make_settings(read_timeout=1.0, total_timeout=2.0)
    async with Fetcher(settings) as fetcher:
        result = await fetcher.download(f"{fakeweb.url}/hostile/trickle", dest)
        with pytest.raises(FetchError) as info:
            await fetcher.get(f"{fakeweb.url}/hostile/trickle")
    assert (result.ok, result.reason) == (False, Reason.TIMEOUT)
    assert info.value.reason == Reason.TIMEOUT
    assert not dest.exists()


async def test_a_server_that_never_answers_times_out_on_read(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings(read_timeout=1.0, total_timeout=10.0)
    async with Fetcher(settings) as fetcher:
        result = await fetcher.download(f"{fakeweb.url}/hostile/stall", tmp_path / "s.jpg")
    assert result.reason == Reason.TIMEOUT


async def test_endless_body_stops_at_the_byte_cap(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    dest = tmp_path / "endless.jpg"
    settings = make_settings(max_image_bytes=1024 * 1024)
    async with Fetcher(settings) as fetcher:
        result = await fetcher.download(f"{fakeweb.url}/hostile/endless", dest)
    assert (result.ok, result.reason) == (False, Reason.TOO_LARGE)
    assert not dest.exists()


async def test_a_cancelled_download_leaves_no_partial_file(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    dest = tmp_path / "cancelled.bin"
    async with Fetcher(make_settings(max_image_bytes=200 * 1024 * 1024)) as fetcher:
        task = asyncio.create_task(fetcher.download(f"{fakeweb.url}/hostile/endless", dest))
        for _ in range(1000):
            if dest.exists() or task.done():
                break
            await asyncio.sleep(0.005)
        assert dest.exists(), "the body never reached the disk"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert not dest.exists()


async def test_content_length_over_the_cap_is_refused_before_reading(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    dest = tmp_path / "big.jpg"
    settings = make_settings(max_image_bytes=1024 * 1024)
    async with Fetcher(settings) as fetcher:
        result = await fetcher.download(f"{fakeweb.url}/hostile/big?bytes=2000000", dest)
        small = await fetcher.download(f"{fakeweb.url}/hostile/big?bytes=1000", dest)
    assert result.reason == Reason.TOO_LARGE
    assert "Content-Length" in result.detail
    assert small.ok and small.size == 1000


async def test_a_long_body_is_streamed_to_disk_whole(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    dest = tmp_path / "long.bin"
    async with Fetcher(make_settings(max_image_bytes=1024 * 1024)) as fetcher:
        result = await fetcher.download(f"{fakeweb.url}/hostile/big?bytes=700001", dest)
    body = b"\0" * 700001
    assert result.ok, result.detail
    assert dest.read_bytes() == body
    assert result.sha256 == hashlib.sha256(body).hexdigest()


async def test_redirect_loop_is_stopped(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    k = key()
    async with Fetcher(make_settings(max_redirects=5)) as fetcher:
        result = await fetcher.download(f"{fakeweb.url}/hostile/loop/0?key={k}", tmp_path / "l")
        with pytest.raises(FetchError) as info:
            await fetcher.get(f"{fakeweb.url}/hostile/loop/0?key={k}")
    assert result.reason == Reason.TOO_MANY_REDIRECTS
    assert info.value.reason == Reason.TOO_MANY_REDIRECTS
    assert fakeweb.hits["/hostile/loop/0"] + fakeweb.hits["/hostile/loop/1"] <= 2 * 6


@pytest.mark.parametrize(("hops", "ok"), [(3, True), (5, True), (6, False)])
async def test_redirect_chain_is_followed_up_to_the_limit(
    hops: int, ok: bool, fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    url = f"{fakeweb.url}/hostile/chain/{hops}?seed=9"
    async with Fetcher(make_settings(max_redirects=5)) as fetcher:
        result = await fetcher.download(url, tmp_path / "c.jpg")
    assert result.ok is ok
    if ok:
        assert result.final_url == f"{fakeweb.url}/hostile/chain/0?seed=9"
        assert (tmp_path / "c.jpg").read_bytes() == good_image(9)
    else:
        assert result.reason == Reason.TOO_MANY_REDIRECTS


@pytest.mark.parametrize("after", ["1", "Thu, 01 Jan 1970 00:00:00 GMT"])
async def test_429_with_retry_after_is_retried_and_kept(
    after: str, fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    k = key()
    url = f"{fakeweb.url}/hostile/ratelimit?key={k}&after={after}&seed=3"
    async with Fetcher(make_settings()) as fetcher:
        result = await fetcher.download(url, tmp_path / "r.jpg")
    assert result.ok, result.detail
    assert (tmp_path / "r.jpg").read_bytes() == good_image(3)
    assert fakeweb.state[f"ratelimit:{k}"] == 2


async def test_503_twice_then_200_is_kept(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    k = key()
    async with Fetcher(make_settings(retries=3)) as fetcher:
        result = await fetcher.download(f"{fakeweb.url}/hostile/flaky?key={k}", tmp_path / "f")
    assert result.ok, result.detail
    assert fakeweb.state[f"flaky:{k}"] == 3


async def test_retries_spent_leave_the_final_status(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    k1, k2 = key(), key()
    events = EventList()
    async with Fetcher(make_settings(retries=1), events) as fetcher:
        result = await fetcher.download(f"{fakeweb.url}/hostile/flaky?key={k1}", tmp_path / "f")
        page = await fetcher.get(f"{fakeweb.url}/hostile/flaky?key={k2}")
    assert (result.reason, result.status) == (Reason.HTTP_ERROR, 503)
    assert page.status == 503
    assert fakeweb.state[f"flaky:{k1}"] == fakeweb.state[f"flaky:{k2}"] == 2
    assert any("HTTP 503" in m for m in events.messages())


async def test_404_is_an_http_error_record(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    async with Fetcher(make_settings()) as fetcher:
        result = await fetcher.download(f"{fakeweb.url}/hostile/missing/a.jpg", tmp_path / "m")
        page = await fetcher.get(f"{fakeweb.url}/hostile/missing/a.jpg")
    assert (result.ok, result.reason, result.status) == (False, Reason.HTTP_ERROR, 404)
    assert not (tmp_path / "m").exists()
    assert page.status == 404


async def test_connection_refused_is_a_connection_record(
    make_settings: Any, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with Fetcher(make_settings(retries=1, retry_max_wait=0.1)) as fetcher:
        result = await fetcher.download(f"http://127.0.0.1:{port}/a.jpg", tmp_path / "x")
        with pytest.raises(FetchError) as info:
            await fetcher.get(f"http://127.0.0.1:{port}/")
    assert result.reason == Reason.CONNECTION
    assert info.value.reason == Reason.CONNECTION


async def test_decompression_bomb_is_served(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    bomb = images.bomb_png()  # built once up front (cached), so the download is quick
    async with Fetcher(make_settings()) as fetcher:
        result = await fetcher.download(f"{fakeweb.url}/hostile/bomb.png", tmp_path / "b.png")
    assert result.ok, result.detail
    assert (tmp_path / "b.png").read_bytes() == bomb


# -- requests as sent ------------------------------------------------------------


async def test_user_agent_referer_and_params_are_sent(
    fakeweb: FakeWeb, make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings(user_agent="imgharvest-test/1")
    dest = tmp_path / "echo.json"
    async with Fetcher(settings) as fetcher:
        await fetcher.download(f"{fakeweb.url}/hostile/echo", dest, referer="http://ref.example/")
        page = await fetcher.get(f"{fakeweb.url}/hostile/echo", headers={"X-Test": "1"})
    sent = json.loads(dest.read_text())
    assert sent["User-Agent"] == "imgharvest-test/1"
    assert sent["Referer"] == "http://ref.example/"
    assert "gzip" in sent["Accept-Encoding"]
    assert page.json()["X-Test"] == "1"
    assert page.headers["content-type"].startswith("application/json")
    assert page.headers["Content-Type"] == page.headers.get("CONTENT-TYPE")


async def test_get_sends_params_and_reports_the_final_url(
    fakeweb: FakeWeb, make_settings: Any
) -> None:
    async with Fetcher(make_settings()) as fetcher:
        page = await fetcher.get(f"{fakeweb.url}/hostile/chain/2", params={"seed": 4, "q": "a b"})
    assert page.status == 200
    assert page.url.startswith(f"{fakeweb.url}/hostile/chain/0?")
    assert "q=a+b" in page.url or "q=a%20b" in page.url


async def test_credentials_are_not_sent_to_another_origin(
    fakeweb: FakeWeb, make_settings: Any
) -> None:
    other = f"http://localhost:{fakeweb.port}/hostile/echo"
    async with Fetcher(make_settings()) as fetcher:
        same = await fetcher.get(f"{fakeweb.url}/hostile/echo", headers={"Authorization": "k"})
        moved = await fetcher.get(_redirect(fakeweb, other), headers={"Authorization": "k"})
    assert same.json()["Authorization"] == "k"
    assert "Authorization" not in moved.json()


async def test_pages_are_cut_at_the_page_cap(fakeweb: FakeWeb, make_settings: Any) -> None:
    events = EventList()
    async with Fetcher(make_settings(max_page_bytes=4096), events) as fetcher:
        page = await fetcher.get(f"{fakeweb.url}/hostile/big?bytes=100000")
    assert len(page.text) == 4096
    assert any("page cut" in m for m in events.messages("warning"))


async def test_fetcher_outside_its_context_is_an_error(make_settings: Any) -> None:
    with pytest.raises(RuntimeError):
        await Fetcher(make_settings()).get("http://127.0.0.1/")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not a url at all", Reason.INVALID_URL),
        ("ftp://127.0.0.1/x.jpg", Reason.INVALID_URL),
        ("http:///x.jpg", Reason.INVALID_URL),
        ("http://10.1.2.3/x.jpg", Reason.GUARD),
        ("http://127.0.0.1:{closed}/x.jpg", Reason.CONNECTION),
    ],
)
async def test_each_kind_of_bad_line_gets_its_own_reason(
    line: str, reason: Reason, make_settings: Any, tmp_path: Path
) -> None:
    from tests.conftest import free_port

    settings = make_settings(retries=0)
    async with Fetcher(settings) as fetcher:
        got = await fetcher.download(line.format(closed=free_port()), tmp_path / "x")
    assert (got.ok, got.reason) == (False, reason)


# -- proof without instrumentation: a listening socket counts the connections it got ------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A bare TCP listener on 127.0.0.2 that never answers: its backlog counts connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.2", 0))
        sock.listen(16)
        sock.setblocking(False)
        yield sock


def accepted(sock: socket.socket) -> int:
    """How many connections reached ``sock`` (each is accepted and closed)."""
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


async def test_a_refused_address_never_reaches_the_listener(
    fakeweb: FakeWeb, make_settings: Any, listener: socket.socket, tmp_path: Path
) -> None:
    port = listener.getsockname()[1]
    direct = f"http://127.0.0.2:{port}/x.jpg"
    settings = make_settings(allowed_networks=["127.0.0.1/32"])
    async with Fetcher(settings, resolver=FixedResolver("127.0.0.2")) as fetcher:
        results = [
            await fetcher.download(direct, tmp_path / "a"),
            await fetcher.download(f"http://images.example:{port}/x.jpg", tmp_path / "b"),
            await fetcher.download(_redirect(fakeweb, direct), tmp_path / "c"),
        ]
    assert [r.reason for r in results] == [Reason.GUARD] * 3
    assert accepted(listener) == 0


async def test_an_allowed_address_does_reach_the_listener(
    make_settings: Any, listener: socket.socket, tmp_path: Path
) -> None:
    url = f"http://127.0.0.2:{listener.getsockname()[1]}/x.jpg"
    settings = make_settings(read_timeout=0.5, total_timeout=1.0, retries=0)
    async with Fetcher(settings) as fetcher:
        result = await fetcher.download(url, tmp_path / "a")
    assert result.reason == Reason.TIMEOUT
    assert accepted(listener) == 1
