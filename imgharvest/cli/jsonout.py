"""``--json``: one JSON object on stdout summing up a CLI run (progress and tables go to stderr).

Its numbers add up: ``tried == kept + sum(rejected.values()) + surplus``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from imgharvest import licences
from imgharvest.pipeline.listing import Link, pictures_of
from imgharvest.pipeline.result import HarvestResult


def summary(
    result: HarvestResult,
    output: Path,
    seconds: float,
    *,
    status: str,
    earlier: int = 0,
    kept_licences: Sequence[str] = (),
) -> dict[str, Any]:
    """The summary of a harvest; ``earlier`` counts images a resumed output already held;
    ``kept_licences`` are the licences of every image in the output."""
    kept = len(result.records)
    counts, warning = licences.tally(kept_licences)
    return {
        "status": status,
        "delivered": earlier + kept,
        "wanted": earlier + result.wanted,
        "tried": result.tried,
        "kept": kept,
        "kept_earlier": earlier,
        "rejected": dict(result.refused.most_common()),
        "surplus": result.surplus,
        "sources_used": list(result.sources_used),
        "sources_failed": dict(result.source_errors),
        "licences": dict(counts.most_common()),
        "licence_warning": warning,
        "output": str(output),
        "seconds": round(seconds, 3),
    }


def links(found: list[Link], seconds: float) -> dict[str, Any]:
    """The summary of a crawl that only lists links: every URL, and for each URL that is
    another copy of a picture, the picture's URL (``copy_of``)."""
    return {
        "links": [link.url for link in found], "count": len(found),
        "pictures": pictures_of(found),
        "copy_of": {link.url: link.copy_of for link in found if link.copy_of},
        "seconds": round(seconds, 3),
    }  # fmt: skip


def emit(data: dict[str, Any]) -> None:
    """Print ``data`` as one line of JSON on stdout."""
    typer.echo(json.dumps(data, ensure_ascii=False))
