"""Shared fixtures: the fake web, settings pointed at it, temporary data dirs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imgharvest.settings import Settings
from tests.fakeweb import FakeWeb

# Fixtures of the real outside services (S3, Redis, PostgreSQL), of a scale-out fleet, and the
# check that no asyncio task exception goes unretrieved in any test.
pytest_plugins = ["tests.services", "tests.e2e.cluster", "tests.task_check"]


@pytest.fixture(autouse=True)
def user_config_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """An empty XDG config folder of its own for every test: no user's config file applies
    (processes the test starts inherit it)."""
    home = tmp_path_factory.mktemp("xdg-config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _imgharvest_logger_as_it_was() -> Iterator[None]:
    """An in-process CLI run sets the ``imgharvest`` logger's level, handler and propagation
    for its verbosity; the next test gets the logger as it was (log files see INFO again)."""
    logger = logging.getLogger("imgharvest")
    level, propagate, handlers = logger.level, logger.propagate, list(logger.handlers)
    yield
    logger.setLevel(level)
    logger.propagate = propagate
    logger.handlers[:] = handlers


@pytest.fixture(scope="session")
def fakeweb() -> Iterator[FakeWeb]:
    """One fake internet for the whole session (tests add their own catalogs)."""
    with FakeWeb() as fw:
        yield fw


@pytest.fixture
def make_settings(tmp_path: Path, fakeweb: FakeWeb) -> Any:
    """Factory: settings with DATA_DIR in tmp, every source pointed at the fake web,
    loopback allowed through the network guard, and short timeouts."""

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "allowed_networks": ["127.0.0.0/8"],
            "bing_url": fakeweb.url,
            "duckduckgo_url": fakeweb.url,
            "openverse_url": fakeweb.url,
            "wikimedia_url": fakeweb.url,
            "flickr_url": fakeweb.url,
            "pexels_url": fakeweb.url,
            "pixabay_url": fakeweb.url,
            "unsplash_url": fakeweb.url,
            "google_url": fakeweb.url,
            "connect_timeout": 2.0,
            "read_timeout": 2.0,
            "total_timeout": 5.0,
            "retry_max_wait": 2.0,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return factory


@pytest.fixture
def settings(make_settings: Any) -> Settings:
    """Default test settings."""
    return make_settings()


@pytest.fixture
async def source_http(make_settings: Any) -> Any:
    """The real guarded fetcher as the sources' ``Http``, with quick retries for block tests."""
    from imgharvest.pipeline.fetch import Fetcher

    async with Fetcher(make_settings(retries=1, retry_max_wait=0.05)) as http:
        yield http


# -- job service: a real SMTP server, a running service (workers + HTTP) ------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """An aiosmtpd server on loopback that keeps every message; can be stopped and restarted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Any] = []
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.SMTP))
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def of_kind(self, word: str) -> list[Any]:
        """Messages whose subject contains ``word``."""
        return [m for m in self.messages if word in str(m["Subject"])]


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A running SMTP server collecting messages."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def run_service(make_settings: Any, smtp_sink: SmtpSink) -> Iterator[Any]:
    """Factory: the whole job service in this process (Huey worker threads, scheduler and the
    web app on a free port), mail going to ``smtp_sink``; everything stops at teardown."""
    import signal
    import threading

    import uvicorn

    from imgharvest.service.runtime import Runtime
    from imgharvest.service.services import build_services
    from imgharvest.web.app import create_app

    running: list[tuple[Any, Any, Any, threading.Thread]] = []

    def start(clock: Any = None, stale_after: float = 15.0, **overrides: Any) -> Any:
        port = free_port()
        overrides.setdefault("smtp_url", f"smtp://127.0.0.1:{smtp_sink.port}")
        settings = make_settings(port=port, workers=2, **overrides)
        services = build_services(settings, clock=clock, stale_after=stale_after)
        saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        workers = Runtime(services, 2)
        workers.start()
        for sig, handler in saved.items():
            signal.signal(sig, handler)
        server = uvicorn.Server(uvicorn.Config(create_app(settings, services), port=port,
                                               log_config=None, access_log=False,
                                               proxy_headers=False))  # fmt: skip
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started and thread.is_alive():
            threading.Event().wait(0.05)
        running.append((services, workers, server, thread))
        return services

    yield start
    for services, workers, server, thread in running:
        server.should_exit = True
        thread.join(timeout=10)
        workers.stop()
        services.close()
