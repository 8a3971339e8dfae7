"""``GetResult``: what ``imgharvest.get`` returns, counted from the manifest it wrote."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from imgharvest import licences
from imgharvest.oneshot.dataset import DatasetOutcome
from imgharvest.oneshot.runner import DONE, SHORT, Outcome
from imgharvest.pipeline.package import MANIFEST_NAME
from imgharvest.pipeline.result import HarvestResult

Manifest = Path | zipfile.Path


@dataclass(frozen=True)
class GetResult:
    """What a harvest delivered.

    ``status`` is ``done`` (every image asked for), ``short`` (fewer could be found) or
    ``timeout``. ``files`` are the images' places inside ``output`` as the manifest lists
    them; ``rows`` are the manifest's rows; ``manifest`` is its file (inside the zip for a
    zip). ``output`` and ``manifest`` are None when nothing was kept, so nothing written.
    """

    status: str
    delivered: int
    wanted: int
    output: Path | None
    manifest: Manifest | None
    files: list[str]
    rows: list[dict[str, str]] = field(repr=False)
    rejected: dict[str, int]
    licences: dict[str, int]
    licence_warning: str
    tried: int = 0
    sources_failed: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def short(self) -> bool:
        """Whether fewer images than asked for were delivered."""
        return self.delivered < self.wanted


def from_outcome(finished: Outcome | DatasetOutcome) -> GetResult:
    """The result of a finished (or timed out) run, read back from what it wrote."""
    if isinstance(finished, DatasetOutcome):
        job = finished.job
        wanted = job.base.count * len(job.classes)
        results = [c.result for c in finished.built.classes]
        status = SHORT if finished.built.short else DONE
        return _result(status, wanted, finished.written, job.output.is_zip, results,
                       finished.seconds)  # fmt: skip
    plain = finished.job
    written = finished.written or (plain.output.dest if plain.earlier else None)
    kept = [finished.result] if finished.result is not None else []
    return _result(finished.status, plain.wanted, written, plain.output.is_zip, kept,
                   finished.seconds)  # fmt: skip


def _result(
    status: str,
    wanted: int,
    written: Path | None,
    is_zip: bool,
    results: list[HarvestResult],
    seconds: float,
) -> GetResult:
    manifest = _manifest(written, is_zip)
    rows = _rows(manifest)
    counts, warning = licences.tally(r.get("licence") or "" for r in rows)
    rejected: Counter[str] = sum((r.refused for r in results), Counter())
    failed = {k: v for r in results for k, v in r.source_errors.items()}
    return GetResult(
        status=status, delivered=len(rows), wanted=wanted, output=written, manifest=manifest,
        files=[r["file"] for r in rows], rows=rows, rejected=dict(rejected.most_common()),
        licences=dict(counts.most_common()), licence_warning=warning,
        tried=sum(r.tried for r in results), sources_failed=failed, seconds=round(seconds, 3),
    )  # fmt: skip


def _manifest(written: Path | None, is_zip: bool) -> Manifest | None:
    if written is None:
        return None
    return zipfile.Path(written, MANIFEST_NAME) if is_zip else written / MANIFEST_NAME


def _rows(manifest: Manifest | None) -> list[dict[str, str]]:
    if manifest is None:
        return []
    text = manifest.read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))
