"""Acceptance (issue 17, case 8): ``imgharvest.get`` from Python, on the command line's code
path, with no server: 5 delivered into a folder, the same call inside a running event loop (a
notebook), the project's own exceptions on a job-level failure, datasets, and the README's
example run as written against the fake web."""

from __future__ import annotations

import asyncio
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

import imgharvest
from imgharvest.errors import InputError, NoNetwork, OutputError
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat

ROOT = Path(__file__).resolve().parents[2]


def test_get_returns_what_it_delivered(make_settings: Any, tmp_path: Path) -> None:
    result = imgharvest.get("red fox", 5, tmp_path, settings=make_settings(), sources="bing")
    assert (result.status, result.delivered, result.wanted) == ("done", 5, 5)
    assert result.output == tmp_path and result.manifest == tmp_path / "manifest.csv"
    assert len(result.files) == 5 and all((tmp_path / f).is_file() for f in result.files)
    assert [row["file"] for row in result.rows] == result.files
    assert sum(result.licences.values()) == 5 and result.tried >= 5
    assert "imgharvest.get('red fox', 5," in (tmp_path / "dataset.json").read_text()


async def test_get_works_inside_a_running_event_loop(make_settings: Any, tmp_path: Path) -> None:
    asyncio.get_running_loop()  # this test runs in a loop, as a notebook cell does
    result = imgharvest.get("red fox", 5, tmp_path / "in-loop.zip", settings=make_settings(),
                            sources="bing")  # fmt: skip
    assert result.delivered == 5 and result.status == "done"
    assert isinstance(result.manifest, zipfile.Path)
    assert len(result.manifest.read_text(encoding="utf-8").splitlines()) == 6
    with zipfile.ZipFile(tmp_path / "in-loop.zip") as zf:
        assert sorted(n for n in zf.namelist() if n.startswith("images/")) == sorted(result.files)


def test_a_short_result_is_returned_with_its_reasons(
    make_settings: Any, fakeweb: FakeWeb, tmp_path: Path
) -> None:
    items = cat.good(3, start=650_000, prefix="apis") + [
        cat.FakeImage(f"apis404_{i}", 650_100 + i, "404") for i in range(2)
    ]
    fakeweb.add_catalog("api short", items)
    result = imgharvest.get("api short", 5, tmp_path / "s", settings=make_settings(),
                            sources="bing")  # fmt: skip
    assert result.status == "short" and result.short and result.delivered == 3
    assert result.rejected == {"http_error": 2}


def test_a_timeout_returns_what_was_kept(
    make_settings: Any, fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("api slow", cat.slow(40, start=651_000, prefix="apislow"))
    settings = make_settings(fetch_concurrency=2)
    result = imgharvest.get("api slow", 40, tmp_path / "slow", settings=settings,
                            sources="bing", timeout=1.0)  # fmt: skip
    assert result.status == "timeout" and 0 < result.delivered < 40
    assert len(result.files) == result.delivered
    assert all((tmp_path / "slow" / f).is_file() for f in result.files)


def test_job_level_failures_raise_the_projects_exceptions(
    make_settings: Any, tmp_path: Path
) -> None:
    offline = make_settings(bing_url="https://bing.example.invalid")
    with pytest.raises(NoNetwork, match="no network: names do not resolve"):
        imgharvest.get("red fox", 5, tmp_path / "o.zip", settings=offline, sources="bing")
    (tmp_path / "taken.zip").write_bytes(b"mine")
    with pytest.raises(OutputError, match="already exists"):
        imgharvest.get("red fox", 5, tmp_path / "taken.zip", settings=make_settings())
    with pytest.raises(InputError, match="count"):
        imgharvest.get("red fox", 0, tmp_path / "n.zip", settings=make_settings())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.zip"]


def test_a_dataset_from_python(make_settings: Any, tmp_path: Path) -> None:
    result = imgharvest.get("red fox", 4, tmp_path / "wds", settings=make_settings(),
                            sources="bing", format="webdataset", max_side=64)  # fmt: skip
    assert result.delivered == 4 and result.output == tmp_path / "wds"
    assert all(f.startswith("shard-000000.tar#") for f in result.files)
    assert all(max(int(r["width"]), int(r["height"])) <= 64 for r in result.rows)


def readme_python() -> str:
    """The README's Python example."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### From Python", 1)[1]
    return re.findall(r"```python\n(.*?)```", section, re.S)[0]


def test_the_readme_example_runs_as_written(
    fakeweb: FakeWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    for name in ("BING", "DUCKDUCKGO", "GOOGLE", "OPENVERSE", "WIKIMEDIA"):
        monkeypatch.setenv(f"IMGHARVEST_{name}_URL", fakeweb.url)
    monkeypatch.setenv("IMGHARVEST_ALLOWED_NETWORKS", "127.0.0.0/8")
    monkeypatch.setenv("IMGHARVEST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_python(), "README.md", "exec"), {})  # our own README's example
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "done 20 of 20", printed
    assert len(list((tmp_path / "foxes" / "images").iterdir())) == 20
