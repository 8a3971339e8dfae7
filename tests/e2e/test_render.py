"""Acceptance (issue 6, cases 3 and 4): ``crawl --render`` sees what script builds, and every
request the browser makes passes the network guard (refused ones never connect)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from imgharvest.cli.app import EXIT_BAD_INPUT, EXIT_OK, app
from imgharvest.errors import SourceError
from imgharvest.events import EventList
from imgharvest.pipeline.run import crawl
from imgharvest.sources.base import SourceOptions
from tests.fakeweb import FakeWeb
from tests.fakeweb import pages as fixture_pages
from tests.fakeweb.render import LAZY_BACKGROUND, LAZY_IMAGES

pytest.importorskip("playwright.async_api")
CHROMIUM = Path("/usr/bin/chromium")


def cli(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "IMGHARVEST_DATA_DIR": str(tmp_path / "data"),
        "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.1/32",
        "IMGHARVEST_TOTAL_TIMEOUT": "10",
    }


class Listener:
    """A TCP server on another loopback address that counts every connection it accepts."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.target = f"{host}:{self.sock.getsockname()[1]}"
        self.accepted: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted.append(peer)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    probe = Listener()
    yield probe
    probe.close()


def test_listener_counts_a_real_connection(listener: Listener) -> None:
    """The counter used below can fail: a plain connection is counted."""
    host, port = listener.target.split(":")
    with socket.create_connection((host, int(port)), timeout=2):
        pass
    threading.Event().wait(0.5)
    assert len(listener.accepted) == 1


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
    printed = rendered.stdout.split()
    assert all(w in printed for w in wanted), rendered.stdout
    assert f"{fakeweb.url}/img/io-3-small.jpg" not in printed  # the srcset's largest copy only


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
