"""``imgharvest crawl`` prints one line per picture (its largest copy), and ``--download``
falls back to a smaller copy when the largest is missing (issue 6)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from imgharvest.cli.app import EXIT_OK, app
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.fakeweb.pages import expected


def env(tmp_path: Path) -> dict[str, str]:
    return {
        "IMGHARVEST_DATA_DIR": str(tmp_path / "data"),
        "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.0/8",
        "IMGHARVEST_READ_TIMEOUT": "3",
        "IMGHARVEST_TOTAL_TIMEOUT": "6",
    }


def test_crawl_prints_the_largest_copy_of_each_picture(tmp_path: Path, fakeweb: FakeWeb) -> None:
    page = f"{fakeweb.url}/site/fixtures/lazy.html"
    result = CliRunner().invoke(app, ["crawl", page], env=env(tmp_path), catch_exceptions=False)
    assert result.exit_code == EXIT_OK, result.output
    printed = [line for line in result.stdout.splitlines() if line.startswith("http")]
    assert printed == [url for _, url in expected("fixtures/lazy.html", fakeweb.url)]
    assert f"{fakeweb.url}/site/fixtures/lazy-b-400.jpg" not in result.stdout


def test_crawl_download_uses_a_fallback_copy(tmp_path: Path, fakeweb: FakeWeb) -> None:
    items = [
        cat.FakeImage("fbk-big-1", 91_001, "404"),
        cat.FakeImage("fbk-small-1", 91_002),
        cat.FakeImage("fbk-big-2", 91_003),
        cat.FakeImage("fbk-small-2", 91_004),
    ]
    fakeweb.add_catalog("cli-crawl-fallback", items)
    out = tmp_path / "found.zip"
    args = ["crawl", f"{fakeweb.url}/site/fallback/gallery.html", "--download", "-o", str(out)]
    result = CliRunner().invoke(app, args, env=env(tmp_path), catch_exceptions=False)
    assert result.exit_code == EXIT_OK, result.output
    with zipfile.ZipFile(out) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"))))
    assert sorted((r["url"], r["title"]) for r in rows) == [
        (f"{fakeweb.url}/img/fbk-big-2.jpg", "Two"),
        (f"{fakeweb.url}/img/fbk-small-1.jpg", "One"),
    ]
