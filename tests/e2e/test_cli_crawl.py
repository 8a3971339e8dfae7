"""``imgharvest crawl`` prints each picture's largest copy, then its other copies, each with a
tab and the picture's URL (issue 19); ``--download`` fetches the largest copy of each picture
only, and falls back to a smaller copy when the largest is missing (issue 6)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from imgharvest.cli.app import EXIT_OK
from imgharvest.cli.exit import EXIT_BAD_INPUT
from tests.cli_support import fake_web_env, run_cli
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.fakeweb.pages import expected


def env(tmp_path: Path) -> dict[str, str]:
    return fake_web_env(tmp_path)


def crawl(tmp_path: Path, *args: str) -> Any:
    result = run_cli(env(tmp_path), "crawl", *args)
    assert result.exit_code == EXIT_OK, result.output
    return result


def test_crawl_prints_each_picture_then_its_copies_marked(tmp_path: Path, fakeweb: FakeWeb) -> None:
    page, web = f"{fakeweb.url}/site/fixtures/lazy.html", fakeweb.url
    lines = [line for line in crawl(tmp_path, page).stdout.splitlines() if line.startswith("http")]
    pictures = [line for line in lines if "\t" not in line]
    assert pictures == [url for _, url in expected("fixtures/lazy.html", web)]
    copies = dict(line.split("\t") for line in lines if "\t" in line)
    assert copies[f"{web}/site/fixtures/lazy-b-400.jpg"] == f"{web}/site/fixtures/lazy-b-1200.jpg"
    assert copies[f"{web}/site/fixtures/pic-j.jpg"] == f"{web}/site/fixtures/pic-j-1280.webp"
    for before, line in itertools.pairwise(lines):  # a copy follows its picture
        if "\t" in line:
            assert line.split("\t")[1] in (before, before.partition("\t")[2])
    listed = json.loads(crawl(tmp_path, page, "--json").stdout)
    assert listed["links"] == [line.split("\t")[0] for line in lines]
    assert (listed["count"], listed["pictures"]) == (len(lines), len(pictures))
    assert listed["copy_of"] == copies


def test_crawl_download_fetches_the_largest_copy_of_each_picture(
    tmp_path: Path, fakeweb: FakeWeb
) -> None:
    names = ("picture-1200", "picture-600", "picture-fallback", "plain-800", "later-900")
    before = {n: fakeweb.hits[f"/img/pg/{n}.jpg"] for n in names}
    out = tmp_path / "pg.zip"
    page = f"{fakeweb.url}/site/pg/gallery.html"
    shown = crawl(tmp_path, page, "--download", "--print-links", "-o", str(out)).stdout
    assert f"{fakeweb.url}/img/pg/picture-fallback.jpg\t{fakeweb.url}/img/pg/picture-1200.jpg" in (
        shown.splitlines()
    )
    fetched = {n: fakeweb.hits[f"/img/pg/{n}.jpg"] - before[n] for n in names}
    assert fetched == {"picture-1200": 1, "picture-600": 0, "picture-fallback": 0,
                       "plain-800": 1, "later-900": 1}  # fmt: skip
    with zipfile.ZipFile(out) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"))))
    assert sorted(r["url"].rsplit("/", 1)[1] for r in rows) == [
        "later-900.jpg", "picture-1200.jpg", "plain-800.jpg"]  # fmt: skip


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
    result = run_cli(env(tmp_path), *args)
    assert result.exit_code == EXIT_OK, result.output
    with zipfile.ZipFile(out) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"))))
    assert sorted((r["url"], r["title"]) for r in rows) == [
        (f"{fakeweb.url}/img/fbk-big-2.jpg", "Two"),
        (f"{fakeweb.url}/img/fbk-small-1.jpg", "One"),
    ]


@pytest.mark.parametrize("url", ["http://[", "http://[::1", "http://a.test:99999/", "http://a:0/"])
def test_a_malformed_page_url_is_bad_input_without_a_traceback(tmp_path: Path, url: str) -> None:
    """An unclosed IPv6 bracket or a port out of range is skipped with a warning naming it,
    and with nothing else to crawl the command exits 2 in words (it raised ValueError)."""
    result = run_cli(env(tmp_path), "crawl", url)
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert f"{url!r} is not an http(s) URL; skipped" in result.output
    assert "Traceback" not in result.output and "ValueError" not in result.output
