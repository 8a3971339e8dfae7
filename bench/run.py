"""Benchmark entry: ``python -m bench.run [fetch|get|profile|api|all] [--runs N] [--tools a,b]``."""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench import report, tools
from bench.api_load import api_scenario
from bench.profile import profile_fetch
from bench.scenarios import fetch_scenario, get_scenario

RESULTS = tools.BENCH / "results"


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, make sure the bench-only tools exist, run the chosen scenarios."""
    args = _parser().parse_args(argv)
    names = [n.strip() for n in args.tools.split(",") if n.strip()]
    if args.what in ("fetch", "get", "all", "profile", "api"):
        _ensure_bench_env(names if args.what in ("fetch", "all") else [], args.what)
    _compile_sources()
    with tempfile.TemporaryDirectory(prefix="imgharvest-bench-") as tmp:
        work = Path(tmp)
        if args.what in ("fetch", "all"):
            _report("fetch", *fetch_scenario(names, args.runs, work / "fetch"))
        if args.what in ("get", "all"):
            _report("get", *get_scenario(args.runs, work / "get"))
        if args.what in ("profile", "all"):
            (work / "profile").mkdir()
            _print_saved("profile", profile_fetch(work / "profile"))
        if args.what in ("api", "all"):
            (work / "api").mkdir()
            _print_saved("api", api_scenario(work / "api"))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    choices = ["fetch", "get", "profile", "api", "all"]
    parser.add_argument("what", nargs="?", default="all", choices=choices)
    parser.add_argument("--runs", type=int, default=3, help="repetitions (median reported)")
    parser.add_argument("--tools", default=",".join(tools.FETCH_TOOLS), help="fetch tools")
    return parser


def _ensure_bench_env(names: list[str], what: str) -> None:
    """Create bench/.venv-bench (img2dataset, icrawler, py-spy) when missing and needed (a
    ``fetch`` of imgharvest against curl needs none of them)."""
    unknown = set(names) - set(tools.FETCH_TOOLS)
    if unknown:
        raise SystemExit(f"unknown tools: {', '.join(sorted(unknown))}")
    needed = what != "fetch" or bool(set(names) & {"img2dataset", "icrawler", "aria2c"})
    if needed and not (tools.BENCH_VENV / "py-spy").exists():
        subprocess.run(["bash", str(tools.BENCH / "setup.sh")], check=True)


def _compile_sources() -> None:
    """Byte-compile the checkout(s) under test, as installing a wheel does: with
    ``PYTHONDONTWRITEBYTECODE`` set, every run would otherwise compile them again."""
    trees = [tools.BENCH.parent, *filter(None, [os.environ.get("BENCH_REF_TREE")])]
    for tree in trees:
        compileall.compile_dir(Path(tree) / "imgharvest", quiet=1)


def _report(name: str, rows: list[report.Row], expected: int) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    report.save(rows, RESULTS / f"{name}-{stamp}.json")
    ratios = [report.round_ratios(rows, t, "curl") for t in tools.FETCH_TOOLS if "imgh" in t]
    ratios += [report.round_ratios(rows, "imgharvest get", "icrawler-get")]
    ratios += [report.round_ratios(rows, "imgharvest get (ref)", "icrawler-get")]
    text = report.table(rows, expected) + "\n\n" + "\n".join(r for r in ratios if r)
    text += "\n\nall runs:\n" + report.runs_detail(rows)
    _print_saved(name, text, stamp)


def _print_saved(name: str, text: str, stamp: str | None = None) -> None:
    stamp = stamp or time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}-{stamp}.md").write_text(text + "\n")
    print(f"\n== {name} ==\n{text}\n", flush=True)


if __name__ == "__main__":
    main()
