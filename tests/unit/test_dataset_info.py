"""``dataset.json`` of a plain output (counted from manifest rows), its licence warning, and
the CLI's licence lines (summary table and ``--json``)."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

from imgharvest.cli import jsonout as cli_json
from imgharvest.cli import report as cli_report
from imgharvest.dataset.info import manifest_info
from imgharvest.pipeline import package
from imgharvest.pipeline.result import HarvestResult


def rows(*licences: str) -> list[dict[str, str]]:
    return [{"query": "q", "source": "bing", "licence": name} for name in licences]


def test_counts_come_from_the_rows_and_most_known_gives_no_warning() -> None:
    info = manifest_info(rows("CC-BY-4.0", "CC-BY-4.0", "unknown"), command="c", wanted=4,
                         fmt="dir")  # fmt: skip
    assert info["images"] == 3 and info["wanted"] == 4 and info["format"] == "dir"
    assert info["counts"]["licence"] == {"CC-BY-4.0": 2, "unknown": 1}
    assert info["counts"]["label"] == {} and info["counts"]["split"] == {}
    assert info["classes"] == [{"query": "q", "kept": 3}]
    assert info["licence_warning"] == ""


def test_most_unknown_gives_the_warning() -> None:
    info = manifest_info(rows("unknown", "unknown", "CC0-1.0"), command="c", wanted=3, fmt="zip")
    assert info["licence_warning"] == "licence unknown for 67% of images: check before reuse"


def test_zip_without_an_info_maker_has_no_dataset_json(tmp_path: Path) -> None:
    dest = package.write_zip([], tmp_path / "bare.zip", slug="x")
    assert zipfile.ZipFile(dest).namelist() == ["manifest.csv"]
    made = package.write_zip(
        [], tmp_path / "info.zip", slug="x",
        info=lambda r: manifest_info(r, command="c", wanted=1, fmt="zip"),
    )  # fmt: skip
    assert json.loads(zipfile.ZipFile(made).read("dataset.json"))["images"] == 0


def test_summary_table_and_json_give_licences_and_the_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = HarvestResult(wanted=3, records=[], rejected=Counter(), tried=0, source_errors={})
    names = ["unknown", "unknown", "CC-BY-4.0"]
    screen = io.StringIO()
    monkeypatch.setattr(cli_report, "err", Console(file=screen, width=200))
    cli_report.print_summary(result, Path("x.zip"), 0, names)
    text = screen.getvalue()
    assert "1 CC BY, 2 unknown" in text and "licence unknown for 67% of images" in text
    summary = cli_json.summary(result, Path("x.zip"), 1.0, status="done", kept_licences=names)
    assert summary["licences"] == {"unknown": 2, "CC-BY-4.0": 1}
    assert summary["licence_warning"].startswith("licence unknown for 67%")
    quiet = cli_json.summary(result, Path("x.zip"), 1.0, status="done", kept_licences=names[2:])
    assert quiet["licences"] == {"CC-BY-4.0": 1} and quiet["licence_warning"] == ""
