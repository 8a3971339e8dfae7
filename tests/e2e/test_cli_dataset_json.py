"""Issue 12 on the plain CLI outputs: every zip or folder ``get``, ``fetch`` and
``crawl --download`` write carries a ``dataset.json`` whose counts are its manifest's rows
(a resumed folder and a Ctrl-C partial output too); the summary table and ``--json`` give
the licence counts, with a warning when most are unknown. Each run is a real process."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from imgharvest import __version__
from imgharvest.cli.app import EXIT_INTERRUPTED, EXIT_OK
from tests.e2e.test_cli_get import read_zip
from tests.e2e.test_cli_output import check_folder, cli, env, image_hits, run
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.task_check import assert_no_lost_task

__all__ = ["env"]  # the process environment fixture, pointing at the fake web

COUNTED = ("query", "source", "licence")


def zip_info(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as zf:
        info: dict[str, Any] = json.loads(zf.read("dataset.json").decode("utf-8"))
    return info


def folder_info(folder: Path) -> dict[str, Any]:
    info: dict[str, Any] = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    return info


def assert_matches(info: dict[str, Any], rows: list[dict[str, str]], wanted: int) -> None:
    """``dataset.json`` counts what the manifest lists, no more, no less."""
    assert info["images"] == len(rows) > 0
    assert info["wanted"] == wanted
    for key in COUNTED:
        assert info["counts"][key] == dict(Counter(r[key] for r in rows if r[key])), key
    assert sum(c["kept"] for c in info["classes"]) == len(rows)
    assert info["imgharvest_version"] == __version__


def test_plain_zip_has_dataset_json_and_licence_summary(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("info zips", cat.good(12, start=310_000, prefix="infozip"))
    out = tmp_path / "x.zip"
    done = run(env, "get", "info zips", "-n", "6", "-s", "bing", "-o", str(out), "--json")
    assert done.returncode == EXIT_OK, done.stderr
    _, rows = read_zip(out)
    info = zip_info(out)
    assert_matches(info, rows, 6)
    assert info["format"] == "zip"
    # the command keeps the query's quoting: it runs again as it was typed
    assert shlex.split(info["command"])[:3] == ["imgharvest", "get", "info zips"]
    assert info["counts"]["licence"] == {"unknown": 6}  # Bing gives no licence
    assert "licence unknown for 100% of images" in info["licence_warning"]
    summary = json.loads(done.stdout)
    assert summary["licences"] == info["counts"]["licence"]
    assert summary["licence_warning"] == info["licence_warning"]
    assert "licences" in done.stderr and "6 unknown" in done.stderr  # the table, on stderr
    assert "warning" in done.stderr and "licence unknown for 100%" in done.stderr


def test_plain_dir_has_dataset_json(env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path) -> None:
    fakeweb.add_catalog("info dirs", cat.good(12, start=320_000, prefix="infodir"))
    out = tmp_path / "dir"
    done = run(env, "get", "info dirs", "-n", "5", "-s", "bing", "-o", str(out))
    assert done.returncode == EXIT_OK, done.stderr
    info = folder_info(out)
    assert_matches(info, check_folder(out), 5)
    assert info["format"] == "dir"


def test_resumed_dir_dataset_json_counts_old_and_new(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("info first", cat.good(3, start=330_000, prefix="inforesa"))
    fakeweb.add_catalog("info second", cat.good(6, start=335_000, prefix="inforesb"))
    out = tmp_path / "resumed"
    assert run(env, "get", "info first", "-n", "3", "-s", "bing", "-o", str(out)).returncode == 0
    assert folder_info(out)["images"] == 3
    done = run(env, "get", "info second", "-n", "7", "-s", "bing", "-o", str(out), "--resume",
               "--json")  # fmt: skip
    assert done.returncode == EXIT_OK, done.stderr
    rows = check_folder(out)
    info = folder_info(out)
    assert_matches(info, rows, 7)
    assert info["counts"]["query"] == {"info first": 3, "info second": 4}
    assert json.loads(done.stdout)["licences"] == {"unknown": 7}  # earlier images counted too


def test_overwritten_dir_gets_a_new_dataset_json(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("info over", cat.good(8, start=340_000, prefix="infoover"))
    out = tmp_path / "over"
    assert run(env, "get", "info over", "-n", "6", "-s", "bing", "-o", str(out)).returncode == 0
    again = run(env, "get", "info over", "-n", "2", "-s", "bing", "-o", str(out), "--overwrite")
    assert again.returncode == EXIT_OK, again.stderr
    assert_matches(folder_info(out), check_folder(out), 2)


def test_sigint_partial_output_has_a_matching_dataset_json(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("info owls", cat.slow(340, start=350_000, prefix="infoowl"))
    out = tmp_path / "owls"
    slow_env = {**env, "IMGHARVEST_FETCH_CONCURRENCY": "8"}
    args = ["get", "info owls", "-n", "300", "-s", "bing", "-o", str(out)]
    proc = subprocess.Popen(cli(*args), env=slow_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while image_hits(fakeweb, "infoowl") < 40 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert_no_lost_task(stderr)
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    rows = check_folder(out)
    assert 0 < len(rows) < 300
    assert_matches(folder_info(out), rows, 300)


def test_timeout_partial_zip_has_a_matching_dataset_json(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("info larks", cat.slow(340, start=360_000, prefix="infolark"))
    out = tmp_path / "larks.zip"
    slow_env = {**env, "IMGHARVEST_FETCH_CONCURRENCY": "8"}
    done = run(slow_env, "get", "info larks", "-n", "300", "-s", "bing", "-o", str(out),
               "--timeout", "2", "--json", "-q")  # fmt: skip
    assert done.returncode == 3, done.stderr
    _, rows = read_zip(out)
    assert_matches(zip_info(out), rows, 300)
    assert json.loads(done.stdout)["licences"] == {"unknown": len(rows)}


def test_fetch_and_crawl_download_have_dataset_json(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    items = cat.good(3, start=370_000, prefix="infofetch")
    fakeweb.add_catalog("info fetch", items)
    fetched = tmp_path / "fetched"
    done = run(env, "fetch", *[fakeweb.image_url(i) for i in items], "-o", str(fetched))
    assert done.returncode == EXIT_OK, done.stderr
    assert_matches(folder_info(fetched), check_folder(fetched), 3)
    fakeweb.add_catalog("info crawl", [  # what the fallback gallery page shows
        cat.FakeImage("fbk-big-1", 91_001, "404"), cat.FakeImage("fbk-small-1", 91_002),
        cat.FakeImage("fbk-big-2", 91_003), cat.FakeImage("fbk-small-2", 91_004),
    ])  # fmt: skip
    crawled = tmp_path / "crawled.zip"
    page = f"{fakeweb.url}/site/fallback/gallery.html"
    done = run(env, "crawl", page, "--download", "-o", str(crawled))
    assert done.returncode == EXIT_OK, done.stderr
    _, rows = read_zip(crawled)
    info = zip_info(crawled)
    assert_matches(info, rows, 2)
    assert "crawl" in info["command"]
