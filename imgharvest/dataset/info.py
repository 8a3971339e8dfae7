"""``dataset.json``: what was asked and delivered, counts per class, source, licence and split."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from imgharvest import __version__, licences
from imgharvest.dataset.samples import Sample
from imgharvest.dataset.spec import DatasetSpec


def dataset_info(
    samples: Sequence[Sample],
    classes: Sequence[dict[str, Any]],
    spec: DatasetSpec,
    command: str,
) -> dict[str, Any]:
    """The content of ``dataset.json``."""
    _, warning = licences.tally(s.record.licence for s in samples)
    return {
        "imgharvest_version": __version__,
        "command": command,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "format": spec.format,
        "options": spec.as_dict(),
        "images": len(samples),
        "wanted": sum(int(c["wanted"]) for c in classes),
        "classes": list(classes),
        "counts": {
            "label": _count(s.label for s in samples),
            "query": _count(s.record.query for s in samples),
            "source": _count(s.record.candidate.source for s in samples),
            "licence": _count(s.record.licence for s in samples),
            "split": _count(s.split for s in samples if s.split),
        },
        "licence_warning": warning,
    }


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(Counter(values).most_common())
