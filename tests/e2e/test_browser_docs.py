"""Acceptance (issue 7): ``/docs`` and ``/redoc`` show the API with every request on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_browser_pages import CHROMIUM, LiveServer
from tests.web_support import build_pages_app, web_settings

pw = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with pw.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def docs_url(tmp_path: Path) -> Iterator[str]:
    pa = build_pages_app(web_settings(tmp_path))
    server = LiveServer(pa.app).start()
    yield server.url
    server.stop()
    pa.close()


def open_offline(browser: Any, url: str) -> tuple[Any, list[str]]:
    """A page whose every request is recorded; any request off loopback is aborted."""
    context = browser.new_context()
    requested: list[str] = []

    def route(r: Any) -> None:
        requested.append(r.request.url)
        if urlsplit(r.request.url).hostname == "127.0.0.1":
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.goto(url)
    return page, requested


def test_docs_shows_the_operations_offline(browser: Any, docs_url: str) -> None:
    page, requested = open_offline(browser, docs_url + "/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/jobs" in s for s in summaries), summaries
    assert page.locator(".opblock").count() >= 5
    page.wait_for_load_state("networkidle")
    assert requested, "the page made no request at all"
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requested), requested
    page.context.close()


def test_redoc_renders_offline(browser: Any, docs_url: str) -> None:
    page, requested = open_offline(browser, docs_url + "/redoc")
    page.wait_for_selector("h1:has-text('imgharvest')", timeout=20_000)
    assert page.locator("h2").count() >= 5  # one per operation
    page.wait_for_load_state("networkidle")
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in requested), requested
    page.context.close()


def test_redoc_search_finds_operations_under_its_policy(browser: Any, docs_url: str) -> None:
    """Issue 17, item 9: ReDoc's search runs in a worker made from a blob: URL."""
    page, _ = open_offline(browser, docs_url + "/redoc")
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "worker" in msg.text else None)
    page.wait_for_selector("h1:has-text('imgharvest')", timeout=20_000)
    page.fill("input[placeholder='Search...']", "crawl")
    results = page.locator("[data-role='search:results'] li")
    results.first.wait_for(timeout=10_000)
    assert any("Create Crawl" in text for text in results.all_inner_texts())
    assert refused == []
    page.context.close()
