"""What a harvest reports: live ``Progress`` and the final ``HarvestResult``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from imgharvest.net.causes import NetFailure
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
    network: dict[str, NetFailure] = field(default_factory=dict)  # sources the network failed

    @property
    def surplus(self) -> int:
        """Images that passed every check after N were kept (tried = kept + rejected + surplus)."""
        return self.rejected.get("surplus", 0)

    @property
    def refused(self) -> Counter[str]:
        """Rejections by reason, surplus left out."""
        return Counter({k: v for k, v in self.rejected.items() if k != "surplus" and v})

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
        if self.refused:
            parts.append("rejected: " + _counts(self.refused))
        if self.source_errors:
            parts.append("source failures: " + "; ".join(self.source_errors.values()))
        return ", ".join(parts[:2]) + (" (" + "; ".join(parts[2:]) + ")" if parts[2:] else "")

    def summary(self) -> str:
        """One line: kept, tried, rejections."""
        line = f"{len(self.records)}/{self.wanted} images kept from {self.tried} candidates"
        line += f"; rejected: {_counts(self.refused)}" if self.refused else ""
        return line + (f"; surplus {self.surplus}" if self.surplus else "")


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counter.most_common())
