"""Acceptance (issue 16, case 9): ``--resume`` trusts nothing it reads. A crafted manifest (a
pHash ``zzzz``, a short row, a file outside ``images/``) or an ``images/`` that is a symbolic
link to another folder gives exit 2 with one line, before anything is fetched, and nothing
is written outside the output; the rows it keeps are checked and written safe again."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from imgharvest.cli.app import EXIT_BAD_INPUT, EXIT_OK
from imgharvest.pipeline.records import MANIFEST_FIELDS
from tests.cli_support import fake_web_env
from tests.cli_support import run_cli as run
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat


@pytest.fixture
def env(tmp_path: Path, fakeweb: FakeWeb) -> dict[str, str]:
    return fake_web_env(tmp_path, fakeweb.url, ("BING",))


def rows_of(folder: Path) -> list[dict[str, str]]:
    text = (folder / "manifest.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def write_rows(folder: Path, rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    (folder / "manifest.csv").write_text(out.getvalue(), encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def started(env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path) -> Path:
    """A folder a real run filled with 3 of the 6 images asked for."""
    fakeweb.add_catalog("trust owls", cat.good(10, start=630_000, prefix="trust"))
    out = tmp_path / "owls"
    assert run(env, "get", "trust owls", "-n", "3", "-s", "bing", "-o", str(out)).exit_code == 0
    return out


def resume(env: dict[str, str], out: Path) -> Any:
    return run(env, "get", "trust owls", "-n", "6", "-s", "bing", "-o", str(out), "--resume")


def refused(result: Any, *words: str) -> None:
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    ("craft", "words"),
    [
        (lambda rows: rows[1].update(phash="zzzz"), ("manifest.csv", "line 3", "phash 'zzzz'")),
        (lambda rows: rows[0].update(sha256="12"), ("line 2", "sha256")),
        (lambda rows: rows[2].update(file="../../elsewhere.jpg"), ("line 4", "images/NAME")),
        (lambda rows: rows[0].update(url="file:///etc/passwd"), ("line 2", "url")),
        (lambda rows: rows[1].update(bytes="99"), ("line 3", "the row says 99")),
    ],
)
def test_a_crafted_row_is_exit_2_in_one_line(
    env: dict[str, str], fakeweb: FakeWeb, started: Path, craft: Any, words: tuple[str, ...]
) -> None:
    rows = rows_of(started)
    craft(rows)
    write_rows(started, rows)
    before, hits = snapshot(started), dict(fakeweb.hits)
    refused(resume(env, started), *words)
    assert snapshot(started) == before and fakeweb.hits == hits


def test_a_short_row_is_exit_2_in_one_line(
    env: dict[str, str], fakeweb: FakeWeb, started: Path
) -> None:
    text = (started / "manifest.csv").read_text(encoding="utf-8").splitlines()
    text[2] = ",".join(text[2].split(",")[:5])
    (started / "manifest.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    before = snapshot(started)
    refused(resume(env, started), "line 3", f"5 fields where the header has {len(MANIFEST_FIELDS)}")
    assert snapshot(started) == before


def test_images_linked_to_another_folder_is_refused_and_that_folder_untouched(
    env: dict[str, str], fakeweb: FakeWeb, started: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    (started / "images").rename(elsewhere)
    (started / "images").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "0004_trust_owls.jpg").write_bytes(b"not yours to overwrite")
    before, hits = snapshot(elsewhere), dict(fakeweb.hits)
    refused(resume(env, started), "images", "symbolic link")
    assert snapshot(elsewhere) == before and fakeweb.hits == hits


def test_an_image_linked_outside_is_refused(
    env: dict[str, str], started: Path, tmp_path: Path
) -> None:
    first = started / rows_of(started)[0]["file"]
    outside = tmp_path / "outside.jpg"
    first.rename(outside)
    first.symlink_to(outside)
    refused(resume(env, started), "line 2", "not a plain file")


def test_kept_rows_are_written_safe_and_no_unlisted_file_is_replaced(
    env: dict[str, str], started: Path
) -> None:
    rows = rows_of(started)
    rows[0]["title"] = '=HYPERLINK("http://x.example")'
    write_rows(started, rows)
    unlisted = started / "images" / "0004_trust_owls.jpg"
    unlisted.write_bytes(b"the user's own file")
    done = resume(env, started)
    assert done.exit_code == EXIT_OK, done.output
    after = rows_of(started)
    assert len(after) == 6
    assert after[0]["title"] == '\'=HYPERLINK("http://x.example")'
    assert unlisted.read_bytes() == b"the user's own file"
    assert "images/0004_trust_owls.jpg" not in {r["file"] for r in after}
    assert all((started / r["file"]).is_file() for r in after)
