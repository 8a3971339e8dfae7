"""Packaging: zip and directory outputs match the kept files byte for byte."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from imgharvest.pipeline.package import member_names, safe_cell, write_dir, write_zip
from imgharvest.pipeline.records import MANIFEST_FIELDS, Filters, ImageRecord, Verified
from imgharvest.pipeline.verify import verify
from imgharvest.sources.base import Candidate
from tests.fakeweb.images import make_image

HOSTILE_TITLES = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", 'plain, "quoted"\nline']


def _record(tmp_path: Path, seed: int, fmt: str = "JPEG", title: str = "") -> ImageRecord:
    data = make_image(seed, 120, 90, fmt=fmt)
    path = tmp_path / "store" / f"{seed}.tmp"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    info = verify(path, max_pixels=10**7, filters=Filters())
    assert isinstance(info, Verified)
    url = f"http://img.test/{seed}"
    candidate = Candidate(url=url, source="bing", title=title, licence="CC BY 4.0")
    sha = hashlib.sha256(data).hexdigest()
    return ImageRecord(candidate, path, len(data), sha, info, final_url=url)


@pytest.fixture
def records(tmp_path: Path) -> list[ImageRecord]:
    fmts = ["JPEG", "PNG", "GIF", "WEBP", "JPEG"]
    return [
        _record(tmp_path, s, f, t)
        for s, (f, t) in enumerate(zip(fmts, HOSTILE_TITLES, strict=True))
    ]


def _rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == MANIFEST_FIELDS
    return list(reader)


def _check_rows(
    rows: list[dict[str, str]], records: list[ImageRecord], read: Callable[[str], bytes]
) -> None:
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        data = read(row["file"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"] == record.sha256
        assert data == record.path.read_bytes()
        assert int(row["bytes"]) == len(data)
        assert row["file"].endswith("." + record.info.ext)
        assert row["url"] == record.candidate.url


def test_zip_members_manifest_and_bytes(tmp_path: Path, records: list[ImageRecord]) -> None:
    dest = write_zip(records, tmp_path / "out" / "red-pandas.zip", slug="Red Pandas")
    with zipfile.ZipFile(dest) as zf:
        names = zf.namelist()
        assert names == ["manifest.csv", *member_names(records, "red-pandas")]
        assert names[1:3] == ["images/0001_red-pandas.jpg", "images/0002_red-pandas.png"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        assert zf.testzip() is None
        rows = _rows(zf.read("manifest.csv").decode("utf-8"))
        _check_rows(rows, records, zf.read)
    assert [p.name for p in dest.parent.iterdir()] == ["red-pandas.zip"]


def test_manifest_cells_cannot_run_as_formulas(tmp_path: Path, records: list[ImageRecord]) -> None:
    dest = write_zip(records, tmp_path / "a.zip", slug="x")
    with zipfile.ZipFile(dest) as zf:
        titles = [r["title"] for r in _rows(zf.read("manifest.csv").decode())]
    assert titles == ["'" + t for t in HOSTILE_TITLES[:4]] + [HOSTILE_TITLES[4]]
    assert safe_cell(-3) == -3
    assert safe_cell("\tcmd") == "'\tcmd"


@pytest.mark.parametrize("slug", ["../../etc/passwd", "<script>alert(1)</script>", "", "/"])
def test_hostile_slug_is_sanitised(tmp_path: Path, records: list[ImageRecord], slug: str) -> None:
    with zipfile.ZipFile(write_zip(records, tmp_path / "h.zip", slug=slug)) as zf:
        images = zf.namelist()[1:]
    for name in images:
        assert name.startswith("images/0")
        assert ".." not in name
        assert not set("<>/\\").intersection(name.removeprefix("images/"))
    out = write_dir(records, tmp_path / "dir", slug=slug)
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert written == {"manifest.csv", *images}


def test_dir_output_matches_files(tmp_path: Path, records: list[ImageRecord]) -> None:
    out = write_dir(records, tmp_path / "result", slug="Red Pandas")
    rows = _rows((out / "manifest.csv").read_text(encoding="utf-8"))
    _check_rows(rows, records, lambda name: (out / name).read_bytes())
    leftovers = [p for p in out.rglob(".*") if p.is_file()]
    assert leftovers == []


def test_index_widens_beyond_9999(tmp_path: Path) -> None:
    record = _record(tmp_path, 1)
    names = member_names([record] * 10_000, "x")
    assert names[0] == "images/00001_x.jpg"
    assert names[-1] == "images/10000_x.jpg"
    assert len(set(names)) == 10_000


def test_failed_zip_leaves_no_partial_archive(tmp_path: Path, records: list[ImageRecord]) -> None:
    records[2].path.unlink()
    dest = tmp_path / "out" / "broken.zip"
    with pytest.raises(FileNotFoundError):
        write_zip(records, dest, slug="x")
    assert list(dest.parent.iterdir()) == []


def test_empty_job_still_has_a_manifest(tmp_path: Path) -> None:
    with zipfile.ZipFile(write_zip([], tmp_path / "e.zip", slug="x")) as zf:
        assert zf.namelist() == ["manifest.csv"]
        assert _rows(zf.read("manifest.csv").decode()) == []


def test_dir_output_can_move_instead_of_copy(tmp_path: Path, records: list[ImageRecord]) -> None:
    digests = [hashlib.sha256(r.path.read_bytes()).hexdigest() for r in records]
    out = write_dir(records, tmp_path / "moved", slug="cats", move=True)
    rows = _rows((out / "manifest.csv").read_text(encoding="utf-8"))
    assert [row["sha256"] for row in rows] == digests
    for row in rows:
        assert hashlib.sha256((out / row["file"]).read_bytes()).hexdigest() == row["sha256"]
    assert not any(r.path.exists() for r in records), "the sources were copied, not moved"
