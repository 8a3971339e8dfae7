"""Issue 17 items 3, 4, 5 and 9 on ``get``'s outputs: the path is checked before any fetch for
every format and output kind (one line, no internal name, nothing created); nothing kept means
nothing written; ``-q`` prints nothing on success; the CLI has no MAX_IMAGES cap (acceptance 4:
600 samples in a webdataset)."""

from __future__ import annotations

import csv
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from imgharvest.cli.app import EXIT_BAD_INPUT, EXIT_OK, EXIT_SHORT
from tests.cli_support import fake_web_env
from tests.cli_support import run_cli as run
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat

FORMATS = ("zip", "dir", "imagefolder", "webdataset", "parquet")


@pytest.fixture
def env(tmp_path: Path, fakeweb: FakeWeb) -> dict[str, str]:
    return fake_web_env(tmp_path, fakeweb.url, ("BING", "OPENVERSE", "WIKIMEDIA"))


def one_line(result: Any, *words: str) -> str:
    """Exit 2 with exactly one line on stderr, naming no internal file."""
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert ".tmp" not in lines[0] and ".imgharvest-" not in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def names_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- item 5: the output path, checked before anything is fetched ------------------------------


def test_a_zip_given_a_folder_path_is_refused_before_fetching(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("slash zips", cat.good(6, start=610_000, prefix="slz"))
    hits = dict(fakeweb.hits)
    target = f"{tmp_path}/x/"
    result = run(env, "get", "slash zips", "-n", "3", "-s", "bing", "--format", "zip", "-o", target)
    one_line(result, f"{tmp_path}/x/", "is a folder, not a zip file", ".zip")
    assert fakeweb.hits == hits, "it fetched before refusing"
    assert not (tmp_path / "x").exists(), "it left a folder behind"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_checks_its_path_first(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path, fmt: str
) -> None:
    fakeweb.add_catalog("checked paths", cat.good(6, start=611_000, prefix="chk"))
    hits = dict(fakeweb.hits)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    name = "out.zip" if fmt == "zip" else "out"
    args = ["get", "checked paths", "-n", "2", "-s", "bing", "--format", fmt]
    one_line(run(env, *args, "-o", str(blocker / name)), "Not a directory")
    if fmt == "zip":
        (tmp_path / "taken.zip").mkdir()
        one_line(run(env, *args, "-o", str(tmp_path / "taken.zip")), "is a folder")
    else:
        one_line(run(env, *args, "-o", str(blocker), "--overwrite"), "is a file, not a folder")
    full = tmp_path / ("full.zip" if fmt == "zip" else "full")
    full.mkdir() if fmt != "zip" else full.write_bytes(b"PK")
    if fmt != "zip":
        (full / "keep.txt").write_text("mine")
    one_line(run(env, *args, "-o", str(full)), "already exists", "--overwrite")
    one_line(run(env, *args, "-o", str(tmp_path / "deep" / "er" / name), "--resume"), "--resume")
    assert fakeweb.hits == hits, "it fetched before refusing"
    assert names_in(tmp_path) == sorted(["blocker", "full" if fmt != "zip" else "full.zip",
                                         *(["taken.zip"] if fmt == "zip" else [])])  # fmt: skip


# -- item 9: nothing kept, nothing written -------------------------------------------------


def test_licence_open_with_no_open_image_writes_no_empty_parquet(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("unlicensed owls", cat.good(8, start=612_000, prefix="unl"))
    out = tmp_path / "owls"
    result = run(env, "get", "unlicensed owls", "-n", "5", "-s", "bing", "--licence", "open",
                 "--format", "parquet", "-o", str(out))  # fmt: skip
    assert result.exit_code == EXIT_SHORT, result.output
    assert "nothing kept: no output written" in result.stderr
    assert "licence_filtered" in result.stderr
    assert names_in(tmp_path) == [], "no folder, no scratch file left"


def test_crawl_download_with_nothing_kept_writes_no_zip(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    page = f"{fakeweb.url}/site/crawl/index.html"  # its images are not on the fake web: 404
    out = tmp_path / "gone.zip"
    result = run(env, "crawl", page, "--download", "-o", str(out), "--json")
    assert result.exit_code == EXIT_SHORT, result.output
    summary = json.loads(result.stdout)
    assert summary["output"] is None and summary["delivered"] == 0
    assert summary["rejected"] == {"http_error": summary["tried"]} and summary["tried"] >= 1
    assert "nothing kept, nothing written" in result.stderr
    assert names_in(tmp_path) == [], "no zip of only the manifest, no scratch folder"


def test_fetch_with_nothing_kept_writes_no_folder(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    listed = tmp_path / "urls.txt"
    listed.write_text(f"{fakeweb.url}/img/nowhere-1.jpg\n", encoding="utf-8")
    result = run(env, "fetch", str(listed), "-o", str(tmp_path / "none"))
    assert result.exit_code == EXIT_SHORT, result.output
    assert names_in(tmp_path) == ["urls.txt"]


# -- item 4: -q prints nothing on success ----------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [[], ["--format", "webdataset"], ["--format", "imagefolder", "--licence", "any"], ["-Q"]],
)
def test_quiet_prints_nothing_on_success(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path, extra: list[str]
) -> None:
    fakeweb.add_catalog("quiet cats", cat.good(8, start=614_000, prefix="qc"))
    fakeweb.add_catalog("quiet dogs", cat.good(8, start=615_000, prefix="qd"))
    classes = tmp_path / "classes.txt"
    classes.write_text("quiet cats\nquiet dogs\n", encoding="utf-8")
    what = ["-Q", str(classes)] if extra == ["-Q"] else ["quiet cats", *extra]
    args = ["get", *what, "-n", "3", "-s", "bing", "-o"]
    result = run(env, *args, str(tmp_path / "q"), "-q")
    assert result.exit_code == EXIT_OK, result.output
    assert result.stdout == "" and result.stderr == ""
    assert (tmp_path / "q" / "manifest.csv").exists()
    loud = run(env, *args, str(tmp_path / "loud"))
    assert loud.exit_code == EXIT_OK and loud.stderr != "", "without -q it reports"


def test_quiet_still_says_what_went_wrong(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, "get", "cats", "-n", "0", "-o", str(tmp_path / "x.zip"), "-q")
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.stderr.strip() == "error: count: must be a whole number greater than 0"


@pytest.mark.parametrize("extra", [[], ["--format", "parquet"]])
def test_json_is_one_object_even_for_bad_input(
    env: dict[str, str], tmp_path: Path, extra: list[str]
) -> None:
    result = run(env, "get", "cats", "-n", "0", "-o", str(tmp_path / "x"), "--json", *extra)
    assert result.exit_code == EXIT_BAD_INPUT
    [line] = result.stdout.splitlines()
    summary = json.loads(line)
    assert summary["status"] == "invalid" and summary["output"] is None
    assert summary["error"] == "count: must be a whole number greater than 0"


def test_a_dataset_run_gives_its_json_object(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("json dataset", cat.good(8, start=616_000, prefix="jds"))
    out = tmp_path / "wds"
    result = run(env, "get", "json dataset", "-n", "4", "-s", "bing", "--format", "webdataset",
                 "-o", str(out), "--json")  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    [line] = result.stdout.splitlines()
    summary = json.loads(line)
    assert (summary["status"], summary["delivered"], summary["wanted"]) == ("done", 4, 4)
    assert summary["format"] == "webdataset" and summary["output"] == str(out)
    assert summary["classes"][0]["kept"] == 4 and summary["error"] is None


# -- item 3 / acceptance 4: the CLI has no MAX_IMAGES cap --------------------------------------


def test_600_samples_in_a_webdataset(env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path) -> None:
    fakeweb.add_catalog("six hundred", cat.good(640, start=620_000, prefix="six"))
    out = tmp_path / "fox"
    result = run(env, "get", "six hundred", "-n", "600", "-s", "bing", "--format", "webdataset",
                 "--shard-size", "250", "-o", str(out), "-q")  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    shards = sorted(out.glob("shard-*.tar"))
    assert [p.name for p in shards] == ["shard-000000.tar", "shard-000001.tar", "shard-000002.tar"]
    keys = set()
    for shard in shards:
        with tarfile.open(shard) as tar:
            keys |= {name.rsplit(".", 1)[0] for name in tar.getnames()}
    assert len(keys) == 600
    rows = list(csv.DictReader(io.StringIO((out / "manifest.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 600 and len({r["sha256"] for r in rows}) == 600
