"""A dataset in memory: its samples (kept images with class and split) and its ``dataset.json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from imgharvest.dataset.spec import DatasetSpec
from imgharvest.pipeline.records import ImageRecord


@dataclass(frozen=True, slots=True)
class Sample:
    """One image of the dataset: its record, class label, split and 1-based position."""

    record: ImageRecord
    label: str
    split: str
    index: int

    @property
    def key(self) -> str:
        """A name-safe key, unique in the dataset (webdataset sample keys, parquet ids)."""
        return f"{self.index:06d}"

    def row(self, file: str) -> dict[str, str | int]:
        """The manifest row of this sample stored as ``file``."""
        return self.record.manifest_row(file) | {"label": self.label, "split": self.split}


@dataclass
class Dataset:
    """Everything a format writer needs."""

    samples: list[Sample]
    spec: DatasetSpec
    info: dict[str, Any] = field(default_factory=dict)
