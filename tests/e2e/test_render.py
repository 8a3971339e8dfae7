"""Acceptance (issue 6, cases 3 and 4): ``crawl --render`` sees what script builds, and every
request the browser makes passes the network guard (refused ones never connect)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from imgharvest.browser.host import BrowserHost
from imgharvest.cli.app import EXIT_BAD_INPUT, EXIT_OK
from imgharvest.errors import SourceError
from imgharvest.events import EventList
from imgharvest.pipeline.run import crawl
from imgharvest.sources.base import SourceOptions
from tests.cli_support import run_cli as cli
from tests.fakeweb import FakeWeb
from tests.fakeweb import pages as fixture_pages
from tests.fakeweb.render import LAZY_BACKGROUND, LAZY_IMAGES, webrtc_page
from tests.integration.test_jobs_run import api, finished
from tests.waiting import wait_for

playwright_api = pytest.importorskip("playwright.async_api")
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "IMGHARVEST_DATA_DIR": str(tmp_path / "data"),
        "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.1/32",
        "IMGHARVEST_TOTAL_TIMEOUT": "10",
    }


class Probe:
    """A socket on a loopback address that a thread reads until ``close``."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(0.2)
        host, port = sock.getsockname()
        self.target = f"{host}:{port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                self.once()
            except TimeoutError:
                continue

    def once(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


class Listener(Probe):
    """A TCP server on another loopback address that counts every connection it accepts."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        self.accepted: list[tuple[str, int]] = []
        sock = socket.socket()
        sock.bind((host, 0))
        sock.listen(64)
        super().__init__(sock)

    def once(self) -> None:
        conn, peer = self.sock.accept()
        self.accepted.append(peer)
        conn.close()


class UdpListener(Probe):
    """A UDP socket on another loopback address that counts every datagram it receives."""

    def __init__(self, host: str, port: int) -> None:
        self.received: list[tuple[str, int]] = []
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((host, port))
        super().__init__(sock)

    def once(self) -> None:
        self.received.append(self.sock.recvfrom(65536)[1])


@pytest.fixture
def listener() -> Iterator[Listener]:
    probe = Listener()
    yield probe
    probe.close()


@pytest.fixture
def ice_servers() -> Iterator[tuple[list[Listener], list[UdpListener]]]:
    """A STUN server's and a TURN server's addresses (127.0.0.2, 127.0.0.3), each with a TCP
    and a UDP listener on the same port, all forbidden to the guard."""
    tcp = [Listener("127.0.0.2"), Listener("127.0.0.3")]
    udp = [UdpListener(h, int(t.target.split(":")[1])) for h, t in zip(
        ("127.0.0.2", "127.0.0.3"), tcp, strict=True)]  # fmt: skip
    yield tcp, udp
    for probe in (*tcp, *udp):
        probe.close()


def test_listener_counts_a_real_connection(listener: Listener) -> None:
    """The counter used below can fail: a plain connection is counted."""
    host, port = listener.target.split(":")
    with socket.create_connection((host, int(port)), timeout=2):
        pass
    threading.Event().wait(0.5)
    assert len(listener.accepted) == 1


def test_udp_listener_counts_a_real_datagram(
    ice_servers: tuple[list[Listener], list[UdpListener]],
) -> None:
    """The counters used below can fail: a plain datagram to each is counted."""
    for probe in ice_servers[1]:
        host, port = probe.target.split(":")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"x", (host, int(port)))
    threading.Event().wait(0.5)
    assert [len(probe.received) for probe in ice_servers[1]] == [1, 1]


@pytest.mark.browser
def test_render_crawl_prints_images_built_by_script_and_scrolling(
    env: dict[str, str], fakeweb: FakeWeb
) -> None:
    url = f"{fakeweb.url}/render/lazy"
    wanted = [fakeweb.url + path for path in (*LAZY_IMAGES, LAZY_BACKGROUND)]

    plain = cli(env, "crawl", url)
    assert plain.exit_code == EXIT_OK, plain.output
    assert not any(w in plain.stdout for w in wanted)

    rendered = cli(env, "crawl", url, "--render")
    assert rendered.exit_code == EXIT_OK, rendered.output
    lines = rendered.stdout.splitlines()
    pictures = [line for line in lines if "\t" not in line]
    assert all(w in pictures for w in wanted), rendered.stdout
    # The srcset's smaller copy is listed (issue 19), marked as a copy of the largest, never
    # as a picture of its own.
    small, large = f"{fakeweb.url}/img/io-3-small.jpg", f"{fakeweb.url}/img/io-3-large.jpg"
    assert small not in pictures and f"{small}\t{large}" in lines, rendered.stdout


@pytest.mark.browser
async def test_render_follows_a_redirect_and_resolves_against_the_final_url(
    make_settings: Any, fakeweb: FakeWeb
) -> None:
    settings = make_settings(allowed_networks=["127.0.0.1/32"])
    links = await crawl(
        [fakeweb.url + fixture_pages.REDIRECT_FROM], settings, events=EventList(),
        options=SourceOptions(render=True),
    )  # fmt: skip
    found = {c.url for c in links}
    expected = {url for _, url in fixture_pages.expected(
        "fixtures/deep/dir/redirected.html", fakeweb.url)}  # fmt: skip
    assert expected <= found
    assert {c.page_url for c in links} == {fakeweb.url + fixture_pages.REDIRECT_TO}


@pytest.mark.browser
async def test_browser_requests_to_forbidden_addresses_never_connect(
    make_settings: Any, fakeweb: FakeWeb, listener: Listener
) -> None:
    settings = make_settings(allowed_networks=["127.0.0.1/32"])
    events = EventList()
    page = f"{fakeweb.url}/render/forbidden?target={listener.target}"
    await crawl([page], settings, events=events, options=SourceOptions(render=True))
    direct = SourceOptions(render=True, respect_robots=False)  # the browser itself is asked
    with pytest.raises(SourceError, match="could not read the page"):
        await crawl([f"http://{listener.target}/"], settings, events=events, options=direct)
    threading.Event().wait(1.0)  # anything that slipped through would have arrived by now
    assert listener.accepted == []
    refused = " ".join(events.messages("warning"))
    for path in ("/img.jpg", "/script.js", "/style.css", "/bg.jpg", "/frame", "/fetch", "/xhr",
                 "/new-image.jpg", "/hopped.jpg", "/ "):  # fmt: skip
        assert f"{listener.target}{path}" in refused + " ", path
    assert "169.254.169.254" in refused and "is link-local" in refused


def test_render_without_a_browser_is_a_clear_error(env: dict[str, str], fakeweb: FakeWeb) -> None:
    env = {**env, "IMGHARVEST_BROWSER_PATH": "/nonexistent/chromium"}
    result = cli(env, "crawl", f"{fakeweb.url}/render/lazy", "--render")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "browser is unavailable" in result.output and "/nonexistent/chromium" in result.output
    assert "Traceback" not in result.output


async def gather_ice(browser: Any, html: str) -> None:
    """Show ``html`` in a bare context (no interception, no init script) while ICE gathers."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.set_content(html)
        await asyncio.sleep(3.0)
    finally:
        await context.close()


@pytest.mark.browser
async def test_the_launch_flags_alone_cut_webrtc(
    make_settings: Any, ice_servers: tuple[list[Listener], list[UdpListener]]
) -> None:
    """The deepest layer on its own: a Chromium launched as ``BrowserHost`` launches it sends
    nothing, where the same Chromium launched plainly reaches both servers."""
    tcp, udp = ice_servers
    html = webrtc_page(tcp[0].target, tcp[1].target)
    async with playwright_api.async_playwright() as p:
        plain = await p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        await gather_ice(plain, html)
        await plain.close()
    assert all(len(probe.received) > 0 for probe in udp), "the plain browser sent nothing"
    before = [*(len(p.received) for p in udp), *(len(p.accepted) for p in tcp)]
    host = BrowserHost()
    try:
        browser = await host.call(host.browser, make_settings())
        await host.call(gather_ice, browser, html)
    finally:
        await asyncio.to_thread(host.close)
    threading.Event().wait(1.0)
    assert [*(len(p.received) for p in udp), *(len(p.accepted) for p in tcp)] == before


@pytest.mark.browser
async def test_webrtc_to_forbidden_ice_servers_sends_no_packet_and_keeps_the_page(
    make_settings: Any, fakeweb: FakeWeb, ice_servers: tuple[list[Listener], list[UdpListener]]
) -> None:
    """Issue 16, acceptance 4: STUN and TURN (UDP and TCP) on forbidden addresses."""
    tcp, udp = ice_servers
    settings = make_settings(allowed_networks=["127.0.0.1/32"])
    page = f"{fakeweb.url}/render/webrtc?stun={tcp[0].target}&turn={tcp[1].target}"
    links = await crawl([page], settings, events=EventList(), options=SourceOptions(render=True))
    threading.Event().wait(3.0)  # ICE gathering retries for a while; late packets count too
    assert [len(p.received) for p in udp] == [0, 0]
    assert [len(p.accepted) for p in tcp] == [0, 0]
    assert f"{fakeweb.url}/img/rtc-allowed.jpg" in {c.url for c in links}


@pytest.mark.browser
@pytest.mark.parametrize(
    "target", ["chrome://version/", "chrome://gpu", "devtools://devtools/bundled/inspector.html",
               "view-source:http://127.0.0.1/", "about:blank", "data:text/html,<b>hi</b>"],
)  # fmt: skip
async def test_a_redirect_to_anything_but_http_is_refused(
    make_settings: Any, fakeweb: FakeWeb, target: str
) -> None:
    """Issue 16, acceptance 4 (item 10): the browser renders no page of its own."""
    settings, events = make_settings(allowed_networks=["127.0.0.1/32"]), EventList()
    page = f"{fakeweb.url}/render/hop?to={quote(target, safe='')}"
    with pytest.raises(SourceError, match="could not read the page"):
        await crawl([page], settings, events=events, options=SourceOptions(render=True))
    said = " ".join(events.messages("warning"))
    assert "could not be rendered" in said and "not an http(s) page" in said, said


@pytest.mark.browser
async def test_a_page_opening_60_popups_lists_its_images_without_a_traceback(
    make_settings: Any, fakeweb: FakeWeb, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 16, acceptance 4 (item 11)."""
    settings, events = make_settings(allowed_networks=["127.0.0.1/32"]), EventList()
    links = await crawl([f"{fakeweb.url}/render/popups"], settings, events=events,
                        options=SourceOptions(render=True))  # fmt: skip
    assert f"{fakeweb.url}/img/popup-own.jpg" in {c.url for c in links}
    assert fakeweb.hits["/render/popup-target"] == 0  # no popup was read
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert "could not be rendered" not in " ".join(events.messages("warning"))


@pytest.mark.browser
def test_an_api_crawl_job_of_the_webrtc_page_sends_no_packet(
    run_service: Any, fakeweb: FakeWeb, ice_servers: tuple[list[Listener], list[UdpListener]]
) -> None:
    """Issue 16, acceptance 4, through the service (the report counted 12 packets there)."""
    tcp, udp = ice_servers
    services = run_service(allowed_networks=["127.0.0.1/32"])
    page = f"{fakeweb.url}/render/webrtc?stun={tcp[0].target}&turn={tcp[1].target}"
    created = httpx.post(f"{api(services)}/jobs/crawl", json={"urls": [page], "render": True},
                         timeout=30)  # fmt: skip
    assert created.status_code == 201, created.text
    done = wait_for(lambda: finished(services, created.json()["id"]), timeout=90)
    assert done["status"] == "done", done
    threading.Event().wait(3.0)
    assert [len(p.received) for p in udp] == [0, 0]
    assert [len(p.accepted) for p in tcp] == [0, 0]
    rows = httpx.get(f"{api(services)}/jobs/{done['id']}/images", timeout=30).json()
    assert f"{fakeweb.url}/img/rtc-allowed.jpg" in {row["url"] for row in rows}
