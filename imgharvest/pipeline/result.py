"""What a harvest reports: live ``Progress`` and the final ``HarvestResult``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from imgharvest.pipeline.records import ImageRecord


@dataclass
class Progress:
    """Counts while a harvest runs."""

    wanted: int
    tried: int = 0
    kept: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


@dataclass
class HarvestResult:
    """The outcome of a harvest: kept images, rejections by reason, source failures."""

    wanted: int
    records: list[ImageRecord]
    rejected: Counter[str]
    tried: int
    source_errors: dict[str, str]
    sources_used: list[str] = field(default_factory=list)
    archive: Path | None = None

    @property
    def short(self) -> bool:
        """True when fewer images than asked were delivered."""
        return len(self.records) < self.wanted

    @property
    def reason(self) -> str:
        """Why the result is short, in words; empty when it is not."""
        if not self.short:
            return ""
        parts = [f"only {len(self.records)} of {self.wanted} images could be found"]
        parts.append(f"after trying {self.tried} candidates from every source")
        if self.rejected:
            parts.append("rejected: " + _counts(self.rejected))
        if self.source_errors:
            parts.append("source failures: " + "; ".join(self.source_errors.values()))
        return ", ".join(parts[:2]) + (" (" + "; ".join(parts[2:]) + ")" if parts[2:] else "")

    def summary(self) -> str:
        """One line: kept, tried, rejections."""
        line = f"{len(self.records)}/{self.wanted} images kept from {self.tried} candidates"
        return line + (f"; rejected: {_counts(self.rejected)}" if self.rejected else "")


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counter.most_common())
