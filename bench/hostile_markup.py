"""What the most hostile markup costs the page parse (issue 16): ``python -m bench.hostile_markup``.

Each shape is ``extract_page`` on SIZE of that markup in a fresh process (so its peak RSS is
its own), with the default budget (``MAX_LINKS_PER_PAGE`` 10,000) and without one. A run
past ``--limit`` seconds is killed and shown as such.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

MIB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]


def _fill(unit: str) -> Callable[[int], str]:
    return lambda size: unit * (size // len(unit))


SHAPES: dict[str, Callable[[int], str]] = {
    "distinct <img> (the issue's page)": lambda size: "".join(
        f"<img src={i}.jpg>" for i in range(size // 21)
    ),
    "nested <div>": _fill("<div>"),
    "<div/> (the slash is ignored)": _fill("<div/>"),
    "unclosed <b>": _fill("<b>"),
    "one tag, many attributes": lambda size: (
        "<i " + " ".join(f"a{i}" for i in range(size // 8)) + ">"
    ),
    "25 attributes a tag": _fill("<i a b c d e f g h j k l m n o p q r s t u v w x y z></i>"),
    "comments": _fill("<!---->"),
    "escaped HTML in an attribute": lambda size: (
        "<div data-html='" + "&lt;div&gt;" * (size // 11) + "&lt;img src=/a.jpg&gt;'>"
    ),
}


def child(shape: str, size: int, budget: int) -> None:
    """In the measured process: parse, then print seconds and peak RSS growth in MB."""
    from imgharvest.extract.page import extract_page

    html = SHAPES[shape](size)
    Path("/proc/self/clear_refs").write_text("5")  # building the page is not the parse's peak
    before = _status("VmRSS")
    started = time.perf_counter()
    page = extract_page(html, "http://127.0.0.1/page.html", budget or None)
    took = time.perf_counter() - started
    print(f"{took:.2f} {(_status('VmHWM') - before) / 1024:.0f} {len(page.images)}")


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure(shape: str, size: int, budget: int, limit: float) -> str:
    argv = [sys.executable, "-m", "bench.hostile_markup", "--child", shape, str(size), str(budget)]
    try:
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return f"> {limit:.0f} s (killed) | n/a | n/a"
    seconds, peak, images = done.stdout.split()
    return f"{float(seconds):.2f} s | +{peak} MB | {int(images):,}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=3, metavar=("SHAPE", "SIZE", "BUDGET"))
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.25, 1.0, 8.0])
    parser.add_argument("--limit", type=float, default=120.0)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return
    print("| markup | size | budget | time | peak RSS growth | pictures |")
    print("|---|---|---|---|---|---|")
    for shape in SHAPES:
        for mib in args.sizes:
            for budget in (10_000, 0):
                cost = measure(shape, int(mib * MIB), budget, args.limit)
                said = "10,000 links" if budget else "none"
                print(f"| {shape} | {mib:g} MiB | {said} | {cost} |", flush=True)


if __name__ == "__main__":
    main()
