"""Acceptance (issue 6, case 5): ``imgharvest sources [--check]`` and ``GET /api/v1/sources``
against the fake web: healthy sources, a blocked one and ones without their key, told apart."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from imgharvest.cli.app import app
from imgharvest.clock import ManualClock
from imgharvest.service.services import Services, build_services
from imgharvest.web.app import create_app
from tests.fakeweb import FakeWeb, search
from tests.fakeweb import google as fake_google

NO_BROWSER = "/nonexistent/chromium"
URL_SOURCES = ("BING", "DUCKDUCKGO", "GOOGLE", "OPENVERSE", "WIKIMEDIA", "FLICKR", "PEXELS",
               "PIXABAY", "UNSPLASH")  # fmt: skip


@pytest.fixture
def env(tmp_path: Path, fakeweb: FakeWeb) -> dict[str, str]:
    values = {f"IMGHARVEST_{k}_URL": fakeweb.url for k in URL_SOURCES}
    values.update(
        IMGHARVEST_DATA_DIR=str(tmp_path / "data"),
        IMGHARVEST_ALLOWED_NETWORKS="127.0.0.0/8",
        IMGHARVEST_BROWSER_PATH=NO_BROWSER,
        IMGHARVEST_RETRIES="0",
        IMGHARVEST_TOTAL_TIMEOUT="10",
    )
    return values


def rows(output: str) -> dict[str, list[str]]:
    """The aligned table by source name (header, browser and summary lines left out); columns
    are at least two spaces apart."""
    lines = [re.split(r"\s{2,}", line) for line in output.splitlines() if "  " in line]
    return {cells[0]: cells[1:] for cells in lines[1:]}


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(app, ["sources", *args], env=env, catch_exceptions=False)


def test_sources_lists_every_source_with_availability_reason_and_base_url(
    env: dict[str, str], fakeweb: FakeWeb
) -> None:
    result = run({**env, "IMGHARVEST_PEXELS_API_KEY": "k"})
    assert result.exit_code == 0, result.output
    table = rows(result.stdout)
    assert list(table) == ["bing", "duckduckgo", "google", "openverse", "wikimedia", "flickr",
                           "pexels", "pixabay", "unsplash"]  # fmt: skip
    assert table["bing"][:2] == ["yes", fakeweb.url]
    assert table["pexels"][0] == "yes"
    assert table["flickr"][0] == "no" and "needs IMGHARVEST_FLICKR_API_KEY" in table["flickr"][2]
    assert "no browser fallback: no Chromium at /nonexistent/chromium" in table["google"][2]
    assert f"browser: unavailable: no Chromium at {NO_BROWSER}" in result.stdout


def test_check_tells_healthy_blocked_and_keyless_apart_and_fails(env: dict[str, str]) -> None:
    result = run(env, "--check", fake_google.SORRY)
    assert result.exit_code == 1, result.output
    table = rows(result.stdout)
    status, count, _, detail = table["bing"]
    assert (status, count) == ("ok", "35") and detail.startswith("http://127.0.0.1:")
    assert "/img/" in detail  # a full-size URL, not a thumbnail
    assert table["google"][0] == "blocked" and "captcha" in table["google"][3]
    assert table["flickr"][0] == "unavailable" and "FLICKR_API_KEY" in table["flickr"][3]
    assert {table[n][0] for n in ("duckduckgo", "openverse", "wikimedia")} == {"ok"}
    assert "blocked, broken or unreachable: google" in result.output


def test_check_exits_zero_when_every_available_source_answers(env: dict[str, str]) -> None:
    result = run(env, "--check", "healthy lighthouses")
    assert result.exit_code == 0, result.output
    table = rows(result.stdout)
    assert {table[n][0] for n in ("bing", "duckduckgo", "google", "openverse", "wikimedia")} == {
        "ok"
    }


def test_check_reports_a_broken_parser_as_broken(env: dict[str, str]) -> None:
    result = run(env, "--check", search.LAYOUT)
    assert result.exit_code == 1
    table = rows(result.stdout)
    assert table["bing"][0] == "broken" and "layout changed?" in table["bing"][3]


def test_sources_json_is_one_object(env: dict[str, str], fakeweb: FakeWeb) -> None:
    result = run(env, "--json")
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    answer = json.loads(line)
    by_name = {s["name"]: s for s in answer["sources"]}
    assert by_name["bing"]["available"] and by_name["bing"]["base_url"] == fakeweb.url
    assert by_name["flickr"]["reason"] == "needs IMGHARVEST_FLICKR_API_KEY"
    assert answer["browser"]["available"] is False


def test_check_needs_a_query(env: dict[str, str]) -> None:
    result = run(env, "--check", "  ")
    assert result.exit_code == 2 and "--check" in result.output


@pytest.fixture
async def client(make_settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    svc: Services = build_services(
        make_settings(browser_path=NO_BROWSER, retries=0), clock=ManualClock()
    )
    transport = httpx.ASGITransport(create_app(svc.settings, svc), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
    svc.close()


async def test_api_lists_sources_and_checks_them(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/api/v1/sources")).json()
    by_name = {s["name"]: s for s in listed["sources"]}
    assert by_name["flickr"]["available"] is False and "FLICKR" in by_name["flickr"]["reason"]
    assert by_name["bing"]["check"] is None
    assert listed["browser"]["available"] is False
    assert listed["browser"]["reason"].startswith(f"no Chromium at {NO_BROWSER}")

    answer = await client.get("/api/v1/sources", params={"check": fake_google.SORRY})
    assert answer.status_code == 200
    checks = {s["name"]: s["check"] for s in answer.json()["sources"]}
    assert checks["bing"]["status"] == "ok" and checks["bing"]["count"] == 35
    assert checks["google"]["status"] == "blocked"
    assert checks["flickr"]["status"] == "unavailable"


async def test_api_check_query_bounded(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/sources", params={"check": "x" * 201})).status_code == 400
    for blank in ("", " "):  # a blank check is no check (issue 16): the list, unchecked
        answer = await client.get("/api/v1/sources", params={"check": blank})
        assert answer.status_code == 200
        assert all(s["check"] is None for s in answer.json()["sources"])
