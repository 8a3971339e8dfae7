"""``dataset.json``: what was asked and delivered, counts per class, source, licence and split."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from imgharvest import licences
from imgharvest.dataset.samples import Sample
from imgharvest.dataset.spec import DatasetSpec
from imgharvest.version import __version__

Row = Mapping[str, object]


def dataset_info(
    samples: Sequence[Sample],
    classes: Sequence[dict[str, Any]],
    spec: DatasetSpec,
    command: str,
) -> dict[str, Any]:
    """The content of ``dataset.json``."""
    rows = [s.row("") for s in samples]
    return _info(rows, command, spec.format, spec.as_dict()) | {
        "wanted": sum(int(c["wanted"]) for c in classes),
        "classes": list(classes),
    }


def manifest_info(rows: Sequence[Row], *, command: str, wanted: int, fmt: str) -> dict[str, Any]:
    """``dataset.json`` of a plain zip or folder, counted from its manifest rows (so they agree)."""
    queries = Counter(str(r.get("query") or "") for r in rows)  # fetch and crawl have none
    classes = [{"query": q, "kept": n} for q, n in queries.most_common()]
    return _info(rows, command, fmt, {}) | {"wanted": wanted, "classes": classes}


def _info(rows: Sequence[Row], command: str, fmt: str, options: dict[str, Any]) -> dict[str, Any]:
    _, warning = licences.tally(str(r.get("licence") or "") for r in rows)
    return {
        "imgharvest_version": __version__,
        "command": command,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "format": fmt,
        "options": options,
        "images": len(rows),
        "counts": {key: _count(str(r.get(key) or "") for r in rows) for key in _COUNTED},
        "licence_warning": warning,
    }


_COUNTED = ("label", "query", "source", "licence", "split")


def _count(values: Iterable[str]) -> dict[str, int]:
    """Counts, biggest first; blank values (no label, no split) are not counted."""
    return dict(Counter(v for v in values if v).most_common())
