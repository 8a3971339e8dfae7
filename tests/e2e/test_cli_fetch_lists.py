"""Issue 18: ``imgharvest fetch`` reads the URL lists the fleet's URL-list jobs take: CSV and
parquet with url and caption columns (the captions reach the manifest), text as before."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from imgharvest.cli.app import EXIT_BAD_INPUT, EXIT_OK
from tests.e2e.test_cli_output import env, run
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat

__all__ = ["env"]  # the process environment fixture, pointing at the fake web


def manifest(folder: Path) -> dict[str, str]:
    with (folder / "manifest.csv").open(encoding="utf-8") as raw:
        return {row["url"]: row["caption"] for row in csv.DictReader(raw)}


def test_fetch_reads_csv_and_parquet_lists_with_captions(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    items = cat.good(4, start=380_000, prefix="clilist")
    fakeweb.add_catalog("cli list", items)
    urls = [fakeweb.image_url(i) for i in items]
    listed = tmp_path / "list.csv"
    listed.write_text("url,caption\n" + "".join(f"{u},cap {n}\n" for n, u in enumerate(urls[:2])))
    table = pa.table({"URL": urls[2:], "caption": ["cap 2", "cap 3"]})
    pq.write_table(table, tmp_path / "more.parquet")
    out = tmp_path / "out"
    done = run(env, "fetch", str(listed), str(tmp_path / "more.parquet"), "-o", str(out))
    assert done.returncode == EXIT_OK, done.stderr
    assert manifest(out) == {u: f"cap {n}" for n, u in enumerate(urls)}


def test_a_bad_list_is_a_clear_error_naming_the_file(env: dict[str, str], tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text("caption,link\nx,y\n")
    done = run(env, "fetch", str(listed), "-o", str(tmp_path / "out"))
    assert done.returncode == EXIT_BAD_INPUT
    assert "file: the first line must name the columns, one of them url" in done.stderr
    assert "Traceback" not in done.stderr
