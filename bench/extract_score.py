"""Scores the page extractor against a corpus of real pages with reference answers.

Usage: ``python -m bench.extract_score CORPUS_DIR... [-v] [--page SUBSTRING]`` (or set
``IMGHARVEST_REAL_PAGES`` to the corpus directory). A corpus is a directory of
``NAME.html`` pages, each with a ``NAME.images.json`` reference answer (``page_url``;
``required`` / ``optional`` / ``excluded`` entries with ``url``, ``equally_large_copies``
and ``smaller_or_other_copies``); pages without an answer are left out. The real pages stay
outside the repository; the hand-built pattern pages in ``tests/unit/extract_fixtures``
have answers of the same form and can be scored beside them (one table per directory).

Per page and in total it counts: required pictures found (any copy reported), found as
their largest copy (the ``url`` or an equally large copy), excluded URLs reported,
excluded URLs kept as fallbacks, optional pictures reported, pictures reported more than
once (a smaller copy reported next to another copy), reported URLs the answer does not
list, bogus URLs (reported or fallback URLs that still hold a template placeholder, ``{``,
``}``, ``%7B``, ``%7D``, or name a page, script, style sheet or other non-image file), distinct
pictures merged (a reported picture whose URL and fallbacks hold copies of
two or more ``required`` entries: each entry past the first counts once; ``merged_opt``
counts the same where an ``optional`` entry is one of them), and the extraction time per
page (best of ``--repeat`` runs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgharvest.extract.attrs import OTHER_EXTENSIONS, extension
from imgharvest.extract.page import extract_images

ENV_CORPUS = "IMGHARVEST_REAL_PAGES"
COLUMNS = (
    "required", "found", "largest", "excluded", "excl_fallback",
    "optional", "repeated", "unlisted", "bogus", "merged", "merged_opt", "ms",
)  # fmt: skip


@dataclass
class Picture:
    """One reference entry: the URLs that count as its largest copy, and its other copies."""

    section: str
    largest: set[str]
    others: set[str]

    def copies(self) -> set[str]:
        return self.largest | self.others


@dataclass
class Score:
    """The counts for one page (or the sum over pages)."""

    name: str
    counts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(COLUMNS, 0))
    notes: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for key in COLUMNS:
            self.counts[key] += other.counts[key]


def pictures(answer: dict[str, Any]) -> list[Picture]:
    out = []
    for section in ("required", "optional", "excluded"):
        for entry in answer.get(section, []):
            largest = {entry["url"], *(c["url"] for c in entry.get("equally_large_copies", []))}
            others = {c["url"] for c in entry.get("smaller_or_other_copies", [])}
            out.append(Picture(section, largest, others))
    return out


def score_page(html_path: Path, repeat: int) -> Score:
    """Extract one page ``repeat`` times (best time kept) and compare with its answer."""
    stem = html_path.name.removesuffix(".html")
    answer = json.loads((html_path.parent / f"{stem}.images.json").read_text())
    html = html_path.read_text(encoding="utf-8", errors="replace")
    best, refs = float("inf"), []
    for _ in range(repeat):
        start = time.perf_counter()
        refs = extract_images(html, answer["page_url"])
        best = min(best, time.perf_counter() - start)
    reported = [r.url for r in refs]
    fallbacks = [u for r in refs for u in getattr(r, "fallbacks", ())]
    pics = pictures(answer)
    score = compare(stem, pics, reported, fallbacks)
    groups = [{r.url, *getattr(r, "fallbacks", ())} for r in refs]
    merges(score, pics, groups)
    score.counts["ms"] = best * 1000
    return score


def merges(score: Score, pics: list[Picture], groups: list[set[str]]) -> None:
    """Count reported pictures that hold copies of several distinct reference entries."""
    for group in groups:
        held = [p for p in pics if p.section != "excluded" and p.copies() & group]
        required = [p for p in held if p.section == "required"]
        score.counts["merged"] += max(0, len(required) - 1)
        score.counts["merged_opt"] += max(0, len(held) - 1) - max(0, len(required) - 1)
        if len(held) > 1:
            names = sorted(sorted(p.largest)[0] for p in held)
            score.notes.append(f"merged {len(held)} pictures: {names}")


def compare(name: str, pics: list[Picture], reported: list[str], fallbacks: list[str]) -> Score:
    score, shown, backup = Score(name), set(reported), set(fallbacks)
    counts = score.counts
    for pic in pics:
        hit = pic.copies() & shown
        if pic.section == "excluded":
            counts["excluded"] += bool(hit)
            counts["excl_fallback"] += bool(pic.copies() & backup)
            score.notes += [f"excluded fallback: {u}" for u in sorted(pic.copies() & backup)]
            score.notes += [f"excluded reported: {u}" for u in sorted(hit)]
            continue
        counts["repeated"] += max(0, len(hit) - 1)
        if len(hit) > 1:
            score.notes.append(f"{pic.section} reported {len(hit)} times: {sorted(hit)}")
        if pic.section == "optional":
            counts["optional"] += bool(hit)
            continue
        counts["required"] += 1
        counts["found"] += bool(hit)
        counts["largest"] += bool(pic.largest & shown)
        if not hit:
            score.notes.append(f"required missing: {sorted(pic.largest)[0]}")
        elif not pic.largest & shown:
            score.notes.append(f"required not largest: {sorted(hit)[0]}")
    for url in dict.fromkeys([*reported, *fallbacks]):
        if bogus(url):
            counts["bogus"] += 1
            score.notes.append(f"bogus: {url}")
    listed = set().union(*(p.copies() for p in pics)) if pics else set()
    unlisted = [u for u in dict.fromkeys(reported) if u not in listed]
    counts["unlisted"] = len(unlisted)
    score.notes += [f"unlisted: {u}" for u in unlisted]
    return score


def bogus(url: str) -> bool:
    """A URL no picture can be fetched from: an unfilled template, or a non-image file."""
    if any(mark in url.upper() for mark in ("{", "}", "%7B", "%7D")):
        return True
    return extension(url) in OTHER_EXTENSIONS - {"svg", "ico"}


def table(scores: Iterable[Score]) -> str:
    rows = ["| page | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for s in scores:
        cells = [f"{s.counts[c]:.1f}" if c == "ms" else str(int(s.counts[c])) for c in COLUMNS]
        rows.append(f"| {s.name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="*", help=f"corpus directories (default ${ENV_CORPUS})")
    parser.add_argument("--page", default="", help="only pages whose name contains this")
    parser.add_argument("--repeat", type=int, default=5, help="runs per page (best time kept)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list what was missed")
    args = parser.parse_args(argv)
    corpora = args.corpus or ([os.environ[ENV_CORPUS]] if os.environ.get(ENV_CORPUS) else [])
    if not corpora:
        parser.error(f"give the corpus directory (or set {ENV_CORPUS})")
    for corpus in corpora:
        pages = sorted(
            p for p in Path(corpus).glob("*.html")
            if args.page in p.name and p.with_name(p.name[:-5] + ".images.json").exists()
        )  # fmt: skip
        if not pages:
            parser.error(f"no *.html pages with an answer in {corpus}")
        print(f"## {Path(corpus).name}\n")
        report(pages, args)
    return 0


def report(pages: list[Path], args: argparse.Namespace) -> None:
    """The table of one corpus, its time per page and (``-v``) what was missed."""
    scores = [score_page(p, max(1, args.repeat)) for p in pages]
    total = Score("**total**")
    for s in scores:
        total.add(s)
    times = [s.counts["ms"] for s in scores]
    print(table([*scores, total]))
    print(
        f"\n{len(pages)} pages; extraction time per page: median {statistics.median(times):.1f} ms,"
        f" mean {statistics.mean(times):.1f} ms, max {max(times):.1f} ms"
        f" (best of {args.repeat}; load average {os.getloadavg()[0]:.1f})"
    )
    if args.verbose:
        for s in scores:
            for note in s.notes:
                print(f"{s.name}: {note}")
    print()


if __name__ == "__main__":
    sys.exit(main())
