"""A hostile page (issue 16): ``python -m bench.huge_page [--images N ...] [--runs N]``.

``imgharvest crawl`` of one page holding N distinct ``<img>`` tags (the fake web's
``/huge/images-N.html``, about 21 bytes a tag), as a user runs it: a fresh process, default
settings. Measured: wall seconds, CPU seconds and peak RSS of the process tree (polled every
50 ms), and the links printed. With ``BENCH_REF_TREE`` (an exported checkout of another
commit) the same command runs from there too, in the same run, one after the other.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench.measure import Measured, run_measured
from tests.fakeweb import FakeWeb

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def crawl(tree: Path, url: str, tmp: Path) -> tuple[Measured, int]:
    """``imgharvest crawl URL`` from ``tree``: what it cost, and how many links it printed."""
    env = {**os.environ, "PYTHONPATH": str(tree), "IMGHARVEST_DATA_DIR": str(tmp / "data"),
           "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.1/32"}  # fmt: skip
    log = tmp / "crawl.log"
    measured = run_measured([sys.executable, "-m", "imgharvest", "crawl", url], env, tmp, log)
    printed = sum(1 for line in log.read_text().splitlines() if line.startswith("http"))
    return measured, printed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, nargs="+", default=[300_000, 386_348])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    trees = [("this tree", ROOT)]
    if os.environ.get("BENCH_REF_TREE"):
        trees.append(("ref", Path(os.environ["BENCH_REF_TREE"]).resolve()))
    print("| page | tree | wall s | CPU s | peak RSS MB | links | exit | load |")
    print("|---|---|---|---|---|---|---|---|")
    with FakeWeb() as fw, tempfile.TemporaryDirectory() as tmp:
        for count in args.images:
            url = f"{fw.url}/huge/images-{count}.html"
            for _ in range(args.runs):
                for name, tree in trees:
                    m, links = crawl(tree, url, Path(tmp))
                    print(f"| {count:,} images | {name} | {m.wall:.1f} | {m.cpu:.1f} | "
                          f"{m.peak_rss / MB:.0f} | {links:,} | {m.returncode} | {m.load:.1f} |",
                          flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
