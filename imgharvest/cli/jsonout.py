"""``--json``: exactly one JSON object on stdout for every run, whatever its outcome (progress
and tables go to stderr); a run that could not start or failed gets one with its ``error``.

Its numbers add up: ``tried == kept + sum(rejected.values()) + surplus``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from imgharvest import licences
from imgharvest.cli.options import state
from imgharvest.pipeline.listing import Link, pictures_of
from imgharvest.pipeline.result import HarvestResult


def summary(
    result: HarvestResult | None,
    output: Path | None,
    seconds: float,
    *,
    status: str,
    wanted: int = 0,
    earlier: int = 0,
    kept_licences: Sequence[str] = (),
    error: str | None = None,
) -> dict[str, Any]:
    """The summary of a harvest; ``earlier`` counts images a resumed output already held;
    ``kept_licences`` are the licences of every image in the output; ``output`` is None
    when nothing was written."""
    kept = len(result.records) if result is not None else 0
    counts, warning = licences.tally(kept_licences)
    return {
        "status": status,
        "delivered": earlier + kept,
        "wanted": earlier + result.wanted if result is not None else wanted,
        "tried": result.tried if result is not None else 0,
        "kept": kept,
        "kept_earlier": earlier,
        "rejected": dict(result.refused.most_common()) if result is not None else {},
        "surplus": result.surplus if result is not None else 0,
        "sources_used": list(result.sources_used) if result is not None else [],
        "sources_failed": dict(result.source_errors) if result is not None else {},
        "licences": dict(counts.most_common()),
        "licence_warning": warning,
        "output": str(output) if output is not None else None,
        "seconds": round(seconds, 3),
        "error": error,
    }


def failure(status: str, error: str, wanted: int = 0) -> dict[str, Any]:
    """The object of a run that stopped before it had a result (bad input, a failure)."""
    return summary(None, None, 0.0, status=status, wanted=wanted, error=error)


def links(found: list[Link], seconds: float) -> dict[str, Any]:
    """The summary of a crawl that only lists links: every URL, and for each URL that is
    another copy of a picture, the picture's URL (``copy_of``)."""
    return {
        "status": "done", "links": [link.url for link in found], "count": len(found),
        "pictures": pictures_of(found),
        "copy_of": {link.url: link.copy_of for link in found if link.copy_of},
        "seconds": round(seconds, 3), "error": None,
    }  # fmt: skip


def emit(data: dict[str, Any]) -> None:
    """Print ``data`` as one line of JSON on stdout (once per invocation)."""
    if state.json_sent:
        return
    state.json_sent = True
    typer.echo(json.dumps(data, ensure_ascii=False))
