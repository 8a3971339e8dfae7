"""The format registry: every writer delivers every image, the manifest and dataset.json."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from imgharvest.dataset.formats import MODULES, get_writer, load_all
from imgharvest.dataset.formats.parquet import require_pyarrow
from imgharvest.dataset.samples import Dataset, Sample
from imgharvest.dataset.spec import FORMATS, DatasetSpec
from imgharvest.errors import ConfigError
from imgharvest.pipeline.records import Filters, ImageRecord, Verified
from imgharvest.pipeline.verify import verify
from imgharvest.sources.base import Candidate
from tests.fakeweb.images import make_image

Reader = Callable[[Path, str], bytes]


def _dataset(tmp_path: Path, fmt: str, split: tuple[int, ...] = ()) -> Dataset:
    samples = []
    for i, (label, kind) in enumerate([("cats", "JPEG"), ("cats", "PNG"), ("dogs", "JPEG")], 1):
        data = make_image(700 + i, 64, 48, fmt=kind)
        path = tmp_path / "work" / f"{i}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        info = verify(path, max_pixels=10**7, filters=Filters())
        assert isinstance(info, Verified)
        cand = Candidate(
            url=f"http://x.test/{i}", source="bing", title=f"T{i}", caption="c", rank=i
        )
        record = ImageRecord(
            cand, path, len(data), hashlib.sha256(data).hexdigest(), info, "u", label
        )
        samples.append(Sample(record, label, ("train", "val", "train")[i - 1] if split else "", i))
    spec = DatasetSpec(format=fmt, shard_size=2, split=split)
    return Dataset(samples, spec, {"images": 3, "format": fmt})


def _from_zip(dest: Path, name: str) -> bytes:
    with zipfile.ZipFile(dest) as zf:
        return zf.read(name)


def _from_dir(dest: Path, name: str) -> bytes:
    return (dest / name).read_bytes()


def _from_tar(dest: Path, name: str) -> bytes:
    shard, member = name.split("#")
    with tarfile.open(dest / shard) as tar:
        data = tar.extractfile(member)
        assert data is not None
        return data.read()


def _from_parquet(dest: Path, name: str) -> bytes:
    pq = pytest.importorskip("pyarrow.parquet")
    file, key = name.split("#")
    rows = pq.read_table(dest / file).to_pylist()
    return bytes(next(r["image"]["bytes"] for r in rows if r["image"]["path"].startswith(key)))


READERS: dict[str, Reader] = {
    "zip": _from_zip, "dir": _from_dir, "imagefolder": _from_dir,
    "webdataset": _from_tar, "parquet": _from_parquet,
}  # fmt: skip


def _sidecars(dest: Path, fmt: str) -> tuple[list[dict[str, str]], dict[str, object]]:
    if fmt == "zip":
        with zipfile.ZipFile(dest) as zf:
            text, info = zf.read("manifest.csv").decode(), json.loads(zf.read("dataset.json"))
    else:
        text = (dest / "manifest.csv").read_text()
        info = json.loads((dest / "dataset.json").read_text())
    return list(csv.DictReader(io.StringIO(text))), info


def test_registry_is_complete() -> None:
    assert sorted(load_all()) == sorted(MODULES) == sorted(FORMATS) == sorted(READERS)


@pytest.mark.parametrize("split", [(), (70, 30)])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_delivers_images_manifest_and_info(
    tmp_path: Path, fmt: str, split: tuple[int, ...]
) -> None:
    dataset = _dataset(tmp_path, fmt, split)
    shas = [s.record.sha256 for s in dataset.samples]
    dest = tmp_path / ("out.zip" if fmt == "zip" else "out")
    assert get_writer(fmt)(dataset, dest) == dest
    rows, info = _sidecars(dest, fmt)
    assert info == {"images": 3, "format": fmt}
    assert [r["sha256"] for r in rows] == shas
    assert [r["label"] for r in rows] == ["cats", "cats", "dogs"]
    assert [r["split"] for r in rows] == (["train", "val", "train"] if split else [""] * 3)
    for row in rows:
        data = READERS[fmt](dest, row["file"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"]


def test_layouts(tmp_path: Path) -> None:
    folder = get_writer("imagefolder")(_dataset(tmp_path / "a", "imagefolder"), tmp_path / "if")
    assert sorted(p.name for p in folder.iterdir()) == [
        "cats",
        "dataset.json",
        "dogs",
        "manifest.csv",
    ]
    split = get_writer("imagefolder")(
        _dataset(tmp_path / "b", "imagefolder", (70, 30)), tmp_path / "s"
    )
    assert sorted(p.relative_to(split).as_posix() for p in split.glob("*/*") if p.is_dir()) == [
        "train/cats", "train/dogs", "val/cats"
    ]  # fmt: skip
    shards = get_writer("webdataset")(_dataset(tmp_path / "c", "webdataset"), tmp_path / "w")
    assert sorted(p.name for p in shards.glob("*.tar")) == ["shard-000000.tar", "shard-000001.tar"]
    with tarfile.open(shards / "shard-000000.tar") as tar:
        assert tar.getnames() == ["000001.jpg", "000001.json", "000001.txt",
                                  "000002.png", "000002.json", "000002.txt"]  # fmt: skip
        assert {m.uname for m in tar.getmembers()} == {""}


def test_parquet_without_pyarrow_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ConfigError, match=r"pip install 'imgharvest\[parquet\]'"):
        require_pyarrow()


def test_unknown_format() -> None:
    with pytest.raises(ConfigError, match="unknown format 'tar'"):
        get_writer("tar")
