"""``--format parquet``: one row per image, its manifest fields plus the image bytes.

The ``image`` column is a struct of ``bytes`` and ``path``, the shape Hugging
Face ``datasets`` reads as an image feature; pandas and pyarrow read it as is.
pyarrow is an optional dependency (``pip install imgharvest[parquet]``).
Rows are written in groups, so the file is never held in memory whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imgharvest.dataset.formats import register
from imgharvest.dataset.formats.common import write_sidecars
from imgharvest.dataset.samples import Dataset, Sample
from imgharvest.errors import ConfigError
from imgharvest.pipeline.package import atomic_file
from imgharvest.pipeline.records import MANIFEST_FIELDS

FILE_NAME = "dataset.parquet"
ROW_GROUP = 64
_INTS = frozenset({"width", "height", "bytes"})


def require_pyarrow() -> Any:
    """The pyarrow module, or a ``ConfigError`` saying how to install it."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise ConfigError(
            "--format parquet needs pyarrow: pip install 'imgharvest[parquet]'"
        ) from None
    return pyarrow


@register("parquet")
def write(dataset: Dataset, dest: Path) -> Path:
    """``dest/dataset.parquet`` plus ``manifest.csv`` and ``dataset.json``."""
    pa = require_pyarrow()
    columns = schema(pa)
    path = dest / FILE_NAME
    names = [f"{FILE_NAME}#{s.key}" for s in dataset.samples]
    with atomic_file(path) as tmp, pa.parquet.ParquetWriter(tmp, columns) as writer:
        for start in range(0, len(dataset.samples), ROW_GROUP):
            group = dataset.samples[start : start + ROW_GROUP]
            rows = [_row(s, n) for s, n in zip(group, names[start:], strict=False)]
            writer.write_table(pa.Table.from_pylist(rows, schema=columns))
    write_sidecars(dataset, dest, names)
    return dest


def schema(pa: Any) -> Any:
    """The manifest columns plus the image (bytes and path), as Hugging Face reads it."""
    fields = [(name, pa.int64() if name in _INTS else pa.string()) for name in MANIFEST_FIELDS]
    fields[MANIFEST_FIELDS.index("rank")] = ("rank", pa.int64())
    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    return pa.schema([*fields, ("image", image)])


def _row(sample: Sample, name: str) -> dict[str, Any]:
    row: dict[str, Any] = sample.row(name)
    row["rank"] = row["rank"] or None
    path = f"{sample.key}.{sample.record.info.ext}"
    row["image"] = {"bytes": sample.record.path.read_bytes(), "path": path}
    return row
