"""Acceptance: ``imgharvest get`` delivers exactly N clean images, or says why it is short."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from imgharvest.cli.app import EXIT_BAD_INPUT, EXIT_OK, EXIT_SHORT
from tests.cli_support import fake_web_env, run_cli
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat


@pytest.fixture
def cli_env(tmp_path: Path, fakeweb: FakeWeb) -> dict[str, str]:
    """Environment that points every source at the fake web and lets loopback through."""
    sources = ("BING", "DUCKDUCKGO", "OPENVERSE")
    return fake_web_env(tmp_path, fakeweb.url, sources, retry_max_wait="0.5")


def read_zip(path: Path) -> tuple[dict[str, bytes], list[dict[str, str]]]:
    with zipfile.ZipFile(path) as zf:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        files = {n: zf.read(n) for n in zf.namelist() if n.startswith("images/")}
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8"))))
    return files, rows


def underlying_picture(fw: FakeWeb, url: str) -> int:
    """The seed of the picture behind a catalog URL (a duplicate maps to its original)."""
    item_id = url.rsplit("/", 1)[1].rsplit(".", 1)[0]
    item = fw._images[item_id]
    return item.of if item.of is not None else item.seed


def test_get_100_from_a_troubled_source(cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path):
    fakeweb.add_catalog("troubled cats", cat.troubled(160))
    out = tmp_path / "cats.zip"
    result = run_cli(cli_env, "get", "troubled cats", "-n", "100", "-s", "bing", "-o", str(out))
    assert result.exit_code == EXIT_OK, result.output
    files, rows = read_zip(out)
    assert len(files) == 100 and len(rows) == 100
    assert sorted(r["file"] for r in rows) == sorted(files)
    for row in rows:
        data = files[row["file"]]
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert int(row["bytes"]) == len(data)
        Image.open(io.BytesIO(data)).load()
    pictures = [underlying_picture(fakeweb, r["url"]) for r in rows]
    assert len(set(pictures)) == 100, "two files show the same picture"
    assert len({r["sha256"] for r in rows}) == 100


def test_short_when_sources_hold_only_40_good(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
):
    items = cat.good(40, start=50_000, prefix="s") + [
        cat.FakeImage(f"s404_{i}", 60_000 + i, "404") for i in range(15)
    ]
    fakeweb.add_catalog("forty only", items)
    out = tmp_path / "forty"
    result = run_cli(cli_env, "get", "forty only", "-n", "100", "-s", "bing", "-o", str(out))
    assert result.exit_code == EXIT_SHORT, result.output
    assert len(list((out / "images").iterdir())) == 40
    assert "only 40 of 100" in result.output
    assert "http_error 15" in result.output


@pytest.mark.parametrize("count", ["0", "-1"])
def test_bad_count_is_bad_input(cli_env: dict[str, str], count: str, tmp_path: Path):
    result = run_cli(cli_env, "get", "cats", "-n", count, "-o", str(tmp_path / "x.zip"))
    assert result.exit_code == EXIT_BAD_INPUT
    assert "count" in result.output
    assert not (tmp_path / "x.zip").exists()


def test_unknown_source_is_bad_input(cli_env: dict[str, str], tmp_path: Path):
    result = run_cli(cli_env, "get", "cats", "-n", "3", "-s", "nosuch", "-o", str(tmp_path / "x"))
    assert result.exit_code == EXIT_BAD_INPUT
    assert "unknown source 'nosuch'" in result.output
