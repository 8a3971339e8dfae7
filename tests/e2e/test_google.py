"""Acceptance (issue 6, case 2): ``get -s google`` delivers originals and never a thumbnail;
Google's captcha and "enable JavaScript" wall are clear blocks that fall through.
Issue 19, acceptance 4: Google's JavaScript challenge, and a browser that times out, are
blocks told in one line within 20 s, with no traceback."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from imgharvest.cli.app import EXIT_FAILED, EXIT_OK
from tests.cli_support import fake_web_env, run_cli
from tests.fakeweb import FakeWeb
from tests.fakeweb import google as fake_google

NO_BROWSER = "/nonexistent/chromium"


@pytest.fixture
def cli_env(tmp_path: Path, fakeweb: FakeWeb) -> dict[str, str]:
    sources = ("BING", "DUCKDUCKGO", "GOOGLE")
    return fake_web_env(tmp_path, fakeweb.url, sources, total_timeout="10", retries="0")


def manifest(path: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as zf:
        return list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"))))


def thumbnail_hits(fw: FakeWeb) -> int:
    return sum(count for path, count in fw.hits.items() if path.startswith("/thumb/"))


def originals(fw: FakeWeb, query: str) -> set[str]:
    return {fw.image_url(item) for item in fw.catalog(query)}


def assert_30_originals(fw: FakeWeb, query: str, out: Path) -> None:
    rows = manifest(out)
    assert len(rows) == 30
    assert {r["source"] for r in rows} == {"google"}
    assert {r["url"] for r in rows} <= originals(fw, query)
    assert all(int(r["width"]) == 320 for r in rows)  # thumbnails are 64 px wide


def test_get_30_from_google_delivers_originals_and_fetches_no_thumbnail(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    query, out = "google wml foxes", tmp_path / "foxes.zip"
    before, pages_before = thumbnail_hits(fakeweb), fakeweb.hits["/wml/search"]
    result = run_cli(cli_env, "get", query, "-s", "google", "-n", "30", "-o", str(out))
    assert result.exit_code == EXIT_OK, result.output
    assert_30_originals(fakeweb, query, out)
    assert thumbnail_hits(fakeweb) == before
    assert fakeweb.hits["/wml/search"] - pages_before >= 3  # 10 a page


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (fake_google.SORRY, "google: blocked (captcha: redirected to /sorry/"),
        (fake_google.RECAPTCHA, "google: blocked (reCAPTCHA page"),
        (fake_google.JSWALL, "google: blocked (JavaScript challenge)"),
        (fake_google.CHALLENGE, "google: blocked (JavaScript challenge)"),
    ],
)
def test_google_blocks_are_clear_failures_naming_google(
    cli_env: dict[str, str], tmp_path: Path, query: str, says: str
) -> None:
    env = {**cli_env, "IMGHARVEST_BROWSER_PATH": NO_BROWSER}
    result = run_cli(env, "get", query, "-s", "google", "-n", "5", "-o", str(tmp_path / "o.zip"))
    assert result.exit_code == EXIT_FAILED, result.output
    text = " ".join(result.output.split())
    assert "every source failed: google:" in text and says in text
    assert "no browser to fall back on" in text
    assert "Traceback" not in result.output
    assert not (tmp_path / "o.zip").exists()


@pytest.mark.parametrize("query", [fake_google.SORRY, fake_google.JSWALL, fake_google.CHALLENGE])
def test_a_google_block_falls_through_to_the_next_source(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path, query: str
) -> None:
    env = {**cli_env, "IMGHARVEST_BROWSER_PATH": NO_BROWSER}
    out = tmp_path / "o.zip"
    result = run_cli(env, "get", query, "-s", "google,bing", "-n", "5", "-o", str(out))
    assert result.exit_code == EXIT_OK, result.output
    assert {r["source"] for r in manifest(out)} == {"bing"}
    assert "source failed" in result.output and "google:" in result.output


@pytest.mark.browser
def test_google_images_page_in_chromium_when_the_wml_route_is_walled(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    """Consent page accepted, results built by script and more loaded by scrolling."""
    query, out = fake_google.JSWALL, tmp_path / "walled.zip"
    before, grid_before = thumbnail_hits(fakeweb), fakeweb.hits["/search/more"]
    result = run_cli(cli_env, "get", query, "-s", "google", "-n", "30", "-o", str(out))
    assert result.exit_code == EXIT_OK, result.output
    assert_30_originals(fakeweb, query, out)
    assert thumbnail_hits(fakeweb) == before
    assert fakeweb.hits["/consent/save"] >= 1
    assert fakeweb.hits["/search/more"] > grid_before  # results beyond the first screen


@pytest.mark.browser
@pytest.mark.parametrize(
    ("query", "says"),
    [
        (fake_google.SORRY, "google: blocked (captcha: redirected to /sorry/, Images page)"),
        (fake_google.JSWALL_ALL, "google: blocked (JavaScript challenge)"),
    ],
)
def test_google_blocks_in_chromium_too_are_clear_failures(
    cli_env: dict[str, str], tmp_path: Path, query: str, says: str
) -> None:
    out = str(tmp_path / "x.zip")
    result = run_cli(cli_env, "get", query, "-s", "google", "-n", "5", "-o", out)
    assert result.exit_code == EXIT_FAILED, result.output
    assert says in " ".join(result.output.split())
    assert "Traceback" not in result.output


# -- issue 19, acceptance 4: as a user sees it, from a process of its own ----------------------
QUICK_SECONDS = 20.0


def get_5(env: dict[str, str], query: str, sources: str, out: Path) -> tuple[int, str, float]:
    """``get`` in a process of its own: exit code, all it printed, and the seconds it took."""
    args = ["get", query, "-s", sources, "-n", "5", "-o", str(out)]
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "imgharvest", *args], env={**os.environ, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def assert_one_line_block(output: str, says: str) -> None:
    """The block is told on a line of its own naming google, and nothing of Playwright shows."""
    assert any("google: blocked (" in line and says in line for line in output.splitlines())
    for noise in ("Traceback", "Playwright", "Page.goto", "Call log", "❱"):
        assert noise not in output, output


@pytest.mark.browser
def test_google_challenge_is_a_block_told_in_one_line_within_20_seconds(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    """Both routes answer the challenge; in Chromium it reloads itself for ever."""
    reloads_before = fakeweb.hits["/search"]
    out = tmp_path / "o.zip"
    code, output, seconds = get_5(cli_env, fake_google.CHALLENGE, "google", out)
    assert code == EXIT_FAILED, output
    assert seconds < QUICK_SECONDS, (seconds, output)
    assert_one_line_block(output, "JavaScript challenge")
    assert "every source failed: google: blocked (JavaScript challenge)" in output
    assert fakeweb.hits["/search"] > reloads_before  # the browser was tried, and answered
    assert not out.exists()


@pytest.mark.browser
def test_google_challenge_falls_through_to_the_next_source(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "o.zip"
    code, output, seconds = get_5(cli_env, fake_google.CHALLENGE, "google,bing", out)
    assert code == EXIT_OK, output
    assert {r["source"] for r in manifest(out)} == {"bing"} and len(manifest(out)) == 5
    assert seconds < QUICK_SECONDS + 10, (seconds, output)  # the block, then 5 downloads
    assert_one_line_block(output, "JavaScript challenge")


@pytest.mark.browser
def test_a_browser_timeout_on_google_is_a_block_within_20_seconds(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """The Images page never answers in time: the browser's own wait limit ends it."""
    env = {**cli_env, "IMGHARVEST_BROWSER_WAIT_SECONDS": "3", "IMGHARVEST_TOTAL_TIMEOUT": "60"}
    out = tmp_path / "o.zip"
    code, output, seconds = get_5(env, fake_google.STALL, "google", out)
    assert code == EXIT_FAILED, output
    assert seconds < QUICK_SECONDS, (seconds, output)
    assert_one_line_block(output, "the Images page did not load in the browser")
    assert "no answer within 3 s" in output  # the wait limit, not the request's 60 s, ended it
