"""What a dataset run is asked for: its classes and how images are shaped, filtered and written."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

FORMATS = ("zip", "dir", "imagefolder", "webdataset", "parquet")
CONVERSIONS = ("jpeg", "webp", "png")
ANIMATED = ("keep", "first")
SPLIT_NAMES = ("train", "val", "test")


@dataclass(frozen=True, slots=True)
class QueryClass:
    """One class of the dataset: its (folder-safe) label and the query that fills it."""

    label: str
    query: str


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """Validated dataset options; the defaults change nothing about the images."""

    format: str = "zip"
    shard_size: int = 1000
    max_side: int = 0
    min_side: int = 0
    max_aspect: float = 0.0
    convert: str = ""
    quality: int = 90
    animated: str = "keep"
    licence: str = "any"
    split: tuple[int, ...] = ()

    @property
    def reshapes(self) -> bool:
        """Whether images may be re-encoded (resize, conversion, first frame)."""
        return bool(self.max_side or self.convert or self.animated == "first")

    def as_dict(self) -> dict[str, Any]:
        """The options as JSON-ready values (for ``dataset.json``)."""
        values = asdict(self)
        values["split"] = list(self.split)
        return values
