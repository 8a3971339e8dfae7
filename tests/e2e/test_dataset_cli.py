"""Acceptance (issue 12): training-ready datasets from ``imgharvest get``, against the fake web."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imgharvest import licences
from imgharvest.cli.app import EXIT_BAD_INPUT, EXIT_OK, EXIT_SHORT
from imgharvest.dataset.splits import assign
from tests.cli_support import fake_web_env, run_cli
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.fakeweb.search import MIXED_LICENCES


@pytest.fixture
def cli_env(tmp_path: Path, fakeweb: FakeWeb) -> dict[str, str]:
    """Every source pointed at the fake web, loopback let through, short timeouts."""
    names = ("BING", "DUCKDUCKGO", "OPENVERSE", "WIKIMEDIA")
    return fake_web_env(tmp_path, fakeweb.url, names, retry_max_wait="0.5")


def manifest(folder: Path) -> list[dict[str, str]]:
    text = (folder / "manifest.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def picture(fw: FakeWeb, url: str) -> int:
    """The seed of the picture behind a catalog URL (a duplicate maps to its original)."""
    item = fw._images[url.rsplit("/", 1)[1].rsplit(".", 1)[0]]
    return item.of if item.of is not None else item.seed


def overlapping_catalogs(fw: FakeWeb, prefix: str, base: int) -> None:
    """Three classes whose catalogs begin with the previous class's pictures (exact and near)."""
    first = cat.good(14, start=base, prefix=f"{prefix}a")
    fw.add_catalog(f"{prefix} alpha", first)
    shared = [cat.FakeImage(f"{prefix}bn{i}", base + 500 + i, "dup_near", of=base + i)
              for i in range(4)]  # fmt: skip
    second = first[:4] + shared + cat.good(14, start=base + 100, prefix=f"{prefix}b")
    fw.add_catalog(f"{prefix} beta", second)
    third = second[:3] + first[4:7] + cat.good(14, start=base + 200, prefix=f"{prefix}c")
    fw.add_catalog(f"{prefix} gamma", third)


# -- 1 -----------------------------------------------------------------------
def test_many_queries_as_imagefolder_share_one_deduplication(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    overlapping_catalogs(fakeweb, "dsone", 300_000)
    queries = tmp_path / "classes.txt"
    queries.write_text("# three classes\nAlpha\tdsone alpha\ndsone beta\n\nGamma\tdsone gamma\n")
    out = tmp_path / "ds"
    result = run_cli(cli_env, "get", "-Q", str(queries), "-n", "10", "-s", "bing",
                     "--format", "imagefolder", "-o", str(out))  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == ["alpha", "dsone-beta", "gamma"]
    rows = manifest(out)
    files = {f: out / f for f in (r["file"] for r in rows)}
    for folder in folders:
        assert len(list((out / folder).iterdir())) == 10
    hashes = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in files.items()}
    assert [hashes[r["file"]] for r in rows] == [r["sha256"] for r in rows]
    assert len(set(hashes.values())) == 30, "an exact copy in two classes"
    assert len({r["phash"] for r in rows}) == 30, "a perceptual copy in two classes"
    assert len({picture(fakeweb, r["url"]) for r in rows}) == 30, "a picture in two classes"
    info = json.loads((out / "dataset.json").read_text())
    assert info["images"] == info["wanted"] == 30
    assert info["counts"]["label"] == {"alpha": 10, "dsone-beta": 10, "gamma": 10}
    assert info["counts"]["query"] == {f"dsone {q}": 10 for q in ("alpha", "beta", "gamma")}
    for key in ("source", "licence"):
        assert sum(info["counts"][key].values()) == 30
    assert [c["shortfall"] for c in info["classes"]] == [0, 0, 0]
    assert info["command"].startswith("imgharvest ") and info["imgharvest_version"]


def test_a_short_class_is_reported_with_its_shortfall(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("dsshort full", cat.good(12, start=310_000, prefix="dsf"))
    fakeweb.add_catalog("dsshort thin", cat.good(4, start=311_000, prefix="dst"))
    queries = tmp_path / "q.txt"
    queries.write_text("dsshort full\ndsshort thin\n")
    out = tmp_path / "short"
    result = run_cli(cli_env, "get", "-Q", str(queries), "-n", "6", "-s", "bing",
                     "--format", "dir", "-o", str(out))  # fmt: skip
    assert result.exit_code == EXIT_SHORT, result.output
    assert "short: dsshort-thin: only 4 of 6" in " ".join(result.output.split())
    info = json.loads((out / "dataset.json").read_text())
    assert [(c["kept"], c["shortfall"]) for c in info["classes"]] == [(6, 0), (4, 2)]
    assert len(manifest(out)) == 10 == len(list((out / "images").iterdir()))


# -- 2 -----------------------------------------------------------------------
def read_shards(paths: list[Path]) -> list[dict[str, Any]]:
    """Samples as the ``webdataset`` package groups them (plain tarfile if it is missing)."""
    try:
        from webdataset.tariterators import group_by_keys, tar_file_iterator
    except ImportError:
        return _tar_samples(paths)
    samples: list[dict[str, Any]] = []
    for path in paths:
        # the package's own readers for tars and sample keys; files opened (and closed) here,
        # as ``WebDataset`` leaves the last shard for the garbage collector to close
        with path.open("rb") as stream:
            files = ({**f, "__url__": str(path)} for f in tar_file_iterator(stream))
            samples += group_by_keys(files)
    return samples


def _tar_samples(paths: list[Path]) -> list[dict[str, Any]]:
    samples: dict[str, dict[str, Any]] = {}
    for path in paths:
        with tarfile.open(path) as tar:
            for member in tar.getmembers():
                key, _, ext = member.name.partition(".")
                data = tar.extractfile(member)
                assert data is not None
                samples.setdefault(key, {"__key__": key})[ext] = data.read()
    return list(samples.values())


def test_webdataset_shards_with_resized_images_records_and_captions(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    items = [cat.FakeImage(f"dsw{i}", 320_000 + i, width=640, height=480) for i in range(56)]
    fakeweb.add_catalog("dsweb big", items)
    out = tmp_path / "wds"
    options = ["--format", "webdataset", "--max-side", "256", "--shard-size", "20"]
    result = run_cli(
        cli_env, "get", "dsweb big", "-n", "50", "-s", "bing", *options, "-o", str(out)
    )
    assert result.exit_code == EXIT_OK, result.output
    shards = sorted(out.glob("shard-*.tar"))
    assert [p.name for p in shards] == [f"shard-00000{i}.tar" for i in range(3)]
    samples = read_shards(shards)
    assert len(samples) == 50
    described = 0
    for sample in samples:
        record = json.loads(sample["json"])
        image = sample[record["format"].lower().replace("jpeg", "jpg")]
        with Image.open(io.BytesIO(image)) as img:
            img.load()
            assert max(img.size) <= 256 and img.size == (record["width"], record["height"])
        assert img.size == (256, 192)  # 640x480 fitted, aspect kept
        assert hashlib.sha256(image).hexdigest() == record["sha256"]
        assert record["bytes"] == len(image)
        caption = sample["txt"].decode()
        assert caption.strip() and caption == record["caption"]
        described += caption.startswith("A description of ")
        assert record["query"] == "dsweb big" and int(record["rank"]) >= 1
        assert record["fetched_at"] and record["licence"] == "unknown"
    assert 0 < described < 50, "Bing's desc first, the title where it has none"
    assert len(manifest(out)) == 50
    assert "licence unknown for 100% of images" in " ".join(result.output.split())


# -- 3 -----------------------------------------------------------------------
def test_parquet_has_one_row_per_image_and_the_bytes_decode(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    fakeweb.add_catalog("dsparquet", cat.good(20, start=330_000, prefix="dsp"))
    out = tmp_path / "pq"
    result = run_cli(cli_env, "get", "dsparquet", "-n", "12", "-s", "bing",
                     "--format", "parquet", "-o", str(out))  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    table = pq.read_table(out / "dataset.parquet")
    assert table.num_rows == 12
    assert {"url", "sha256", "caption", "licence", "label", "image"} <= set(table.column_names)
    for row in table.to_pylist():
        data = row["image"]["bytes"]
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            assert img.size == (row["width"], row["height"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"] and row["bytes"] == len(data)
    assert len(manifest(out)) == 12 and (out / "dataset.json").is_file()


# -- 4 -----------------------------------------------------------------------
def test_split_is_stable_across_runs(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("dssplit", cat.good(50, start=340_000, prefix="dss"))
    runs = []
    for name, count in (("one", "40"), ("two", "40"), ("three", "25")):
        out = tmp_path / name
        result = run_cli(cli_env, "get", "dssplit", "-n", count, "-s", "bing", "--split",
                         "80,10,10", "--format", "imagefolder", "-o", str(out))  # fmt: skip
        assert result.exit_code == EXIT_OK, result.output
        rows = manifest(out)
        for row in rows:
            assert row["file"].startswith(f"{row['split']}/dssplit/")
            assert (out / row["file"]).is_file()
        runs.append({r["sha256"]: r["split"] for r in rows})
    # which 40 of 50 are kept may differ (downloads race); an image kept twice keeps its split
    for other in runs[1:]:
        common = set(runs[0]) & set(other)
        assert len(common) >= 20
        assert all(runs[0][sha] == other[sha] for sha in common)
    assert all(split == assign(sha, (80, 10, 10)) for run in runs for sha, split in run.items())
    assert set(runs[0].values()) == {"train", "val", "test"}
    info = json.loads((tmp_path / "one" / "dataset.json").read_text())
    assert sum(info["counts"]["split"].values()) == 40


# -- 5 -----------------------------------------------------------------------
def test_open_licence_only_from_openverse_and_wikimedia(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    query = f"{MIXED_LICENCES} dsopen"
    fakeweb.add_catalog(f"{query} commons", cat.good(12, start=350_000, prefix="dsoc"))
    fakeweb.add_catalog(query, cat.good(12, start=351_000, prefix="dsov"))
    control = tmp_path / "any"
    result = run_cli(cli_env, "get", query, "-n", "12", "-s", "wikimedia", "--format", "dir",
                     "-o", str(control))  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    assert not all(licences.is_open(r["licence"]) for r in manifest(control))
    fakeweb.state["openverse_license_type"] = []
    hits_before = dict(fakeweb.hits)
    out = tmp_path / "open"
    result = run_cli(cli_env, "get", query, "-n", "15", "-s", "wikimedia,openverse",
                     "--licence", "open", "--format", "dir", "-o", str(out))  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    rows = manifest(out)
    assert len(rows) == 15
    assert {r["source"] for r in rows} == {"wikimedia", "openverse"}
    assert all(r["licence"] and licences.is_open(r["licence"]) for r in rows)
    assert {r["licence"] for r in rows if r["source"] == "wikimedia"} <= {
        "CC-BY-SA-4.0", "public-domain", "CC-BY-NC-2.0"
    }  # fmt: skip
    assert set(fakeweb.state["openverse_license_type"]) == {"all-cc"}
    closed = [i for i in fakeweb.catalog(f"{query} commons") if i.seed % 6 in (1, 2, 5)]
    assert len(closed) == 6, "Fair use, no licence, all rights reserved"
    assert all(fakeweb.hits[i.path] == hits_before.get(i.path) for i in closed), "downloaded"
    info = json.loads((out / "dataset.json").read_text())
    assert (
        sum(info["counts"]["licence"].values()) == 15 and "unknown" not in info["counts"]["licence"]
    )
    assert info["licence_warning"] == ""


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--format", "tiff"], "format"),
        (["--split", "80,30"], "split"),
        (["--max-side", "-1"], "max-side"),
        (["--licence", "free"], "licence"),
        (["--convert", "bmp"], "convert"),
        (["-Q", "nosuchfile.txt"], "queries"),
    ],
)
def test_bad_dataset_options_are_bad_input(
    cli_env: dict[str, str], tmp_path: Path, args: list[str], field: str
) -> None:
    out = tmp_path / "never"
    query = [] if "-Q" in args else ["cats"]
    result = run_cli(cli_env, "get", *query, *args, "-o", str(out))
    assert result.exit_code == EXIT_BAD_INPUT
    assert field in result.output
    assert not out.exists()


def test_get_help_lists_the_dataset_options(cli_env: dict[str, str]) -> None:
    result = run_cli(cli_env, "get", "--help")
    assert result.exit_code == EXIT_OK, result.output
    for option in ("--queries", "--format", "--max-side", "--licence", "--split", "--convert"):
        assert option in result.output


def test_an_existing_dataset_needs_overwrite_and_resume_is_refused(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("dsagain", cat.good(8, start=390_000, prefix="dsag"))
    out = tmp_path / "again"
    args = ["get", "dsagain", "-n", "3", "-s", "bing", "--format", "imagefolder", "-o", str(out)]
    assert run_cli(cli_env, *args).exit_code == EXIT_OK
    again = run_cli(cli_env, *args)
    assert again.exit_code == EXIT_BAD_INPUT and "already exists" in again.output
    assert run_cli(cli_env, *args, "--overwrite").exit_code == EXIT_OK
    resumed = run_cli(cli_env, *args, "--resume")
    assert resumed.exit_code == EXIT_BAD_INPUT and "--resume" in resumed.output
