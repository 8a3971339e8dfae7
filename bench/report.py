"""One measured run as a row, medians over repeated runs, and the Markdown table printed."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.measure import Measured
from bench.validity import Validity

MB = 1024 * 1024


@dataclass(frozen=True)
class Row:
    """One tool, one run: cost and what it wrote."""

    tool: str
    run: int
    measured: Measured
    validity: Validity
    last_write: float  # seconds from spawn to the newest output file's mtime


def medians(rows: list[Row]) -> dict[str, dict[str, float]]:
    """Per tool: median wall, last write, peak RSS (MB) and files/good files of its runs."""
    out: dict[str, dict[str, float]] = {}
    for tool in dict.fromkeys(r.tool for r in rows):
        mine = [r for r in rows if r.tool == tool]
        out[tool] = {
            "wall": statistics.median(r.measured.wall for r in mine),
            "last_write": statistics.median(r.last_write for r in mine),
            "peak_mb": statistics.median(r.measured.peak_rss / MB for r in mine),
            "cpu": statistics.median(r.measured.cpu for r in mine),
            "files": statistics.median(r.validity.files for r in mine),
            "invalid": statistics.median(r.validity.invalid for r in mine),
            "dups": statistics.median(r.validity.dup_exact + r.validity.dup_near for r in mine),
            "runs": len(mine),
            "load": statistics.median(r.measured.load for r in mine),
        }
    return out


def table(rows: list[Row], expected: int) -> str:
    """A Markdown table of medians, with wall time relative to imgharvest's."""
    med = medians(rows)
    ours = med.get("imgharvest", {}).get("wall")
    lines = [
        f"expected valid unique images: {expected}",
        "",
        "| tool | wall s (median) | imgharvest / tool | last file written s | CPU s "
        "| peak RSS MB | files | invalid | duplicates | runs | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for tool, m in med.items():
        ratio = f"{ours / m['wall']:.2f}" if ours else "-"
        lines.append(
            f"| {tool} | {m['wall']:.2f} | {ratio} | {m['last_write']:.2f} | {m['cpu']:.1f} "
            f"| {m['peak_mb']:.0f} "
            f"| {m['files']:.0f} | {m['invalid']:.0f} | {m['dups']:.0f} | {m['runs']:.0f} "
            f"| {m['load']:.1f} |"
        )
    return "\n".join(lines)


def round_ratios(rows: list[Row], tool: str, against: str) -> str:
    """``tool``'s wall over ``against``'s round by round (side by side), and the median."""
    walls = {(r.tool, r.run): r.measured.wall for r in rows}
    runs = sorted({r.run for r in rows if (tool, r.run) in walls and (against, r.run) in walls})
    ratios = [walls[tool, n] / walls[against, n] for n in runs]
    if not ratios:
        return ""
    each = " / ".join(f"{x:.2f}" for x in ratios)
    return f"{tool} / {against}, same round: {each} (median {statistics.median(ratios):.2f})"


def runs_detail(rows: list[Row]) -> str:
    """Every single run, for the record (wall, peak, exit code)."""
    return "\n".join(
        f"  {r.tool:<12} run {r.run}: wall {r.measured.wall:6.2f} s  cpu {r.measured.cpu:5.1f} s"
        f"  load {r.measured.load:4.1f}"
        f"  peak {r.measured.peak_rss / MB:6.0f} MB  exit {r.measured.returncode}  "
        f"files {r.validity.files} invalid {r.validity.invalid} "
        f"dup {r.validity.dup_exact}+{r.validity.dup_near}"
        for r in rows
    )


def save(rows: list[Row], path: Path) -> None:
    """All runs as JSON (for later comparison)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in rows], indent=1))
