"""What the most hostile megabyte of a page costs a link list (every copy, marked) and the
original crawler's ``<img src>`` list, shape by shape.

Usage: ``python -m bench.links_hostile [--size BYTES] [SHAPE...]``. For each page of
``--size`` bytes (1 MiB by default) it prints the extraction time without and with the
original's list, the time of listing every copy, the pictures and rows that come out (rows
per picture stay at most 5: a picture lists at most 4 other copies), and the peak of Python
allocations while listing. ``tests/unit/test_listing.py`` and
``tests/unit/test_extract_original.py`` check the same pages.
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from collections.abc import Callable

from bench.extract_hostile import repeat, shape_arguments
from imgharvest.extract.page import Page, extract_page
from imgharvest.pipeline.listing import listed
from imgharvest.sources.pages import page_candidates

MIB = 1024 * 1024
PAGE_URL = "https://hostile.example/page.html"
SIZES = ", ".join(f"/c/{{i}}-{w}.jpg {w}w" for w in range(200, 2600, 200))

SHAPES: dict[str, Callable[[int], str]] = {
    # every picture names a dozen copies: the most rows a byte of page can ask for
    "srcset copies": repeat(lambda i: f'<img srcset="{SIZES.format(i=i)}">'),
    "picture fallbacks": repeat(
        lambda i: (
            f'<picture><source srcset="/s/{i}-1600.webp 1600w, /s/{i}-800.webp 800w">'
            f'<img src="/s/{i}.jpg"></picture>'
        )
    ),
    # nothing but distinct <img src>: the longest list of the original's
    "img srcs": repeat(lambda i: f'<img src="/i/{i:07d}.gif">'),
}


def seconds(run: Callable[[], object], runs: int) -> float:
    """The best of ``runs`` timed runs."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def measure(html: str, runs: int) -> dict[str, float]:
    """Times in seconds (best of ``runs``), counts, and the listing's traced peak in bytes."""
    plain = seconds(lambda: extract_page(html, PAGE_URL), runs)
    both = seconds(lambda: extract_page(html, PAGE_URL, img_srcs=True), runs)
    page: Page = extract_page(html, PAGE_URL, img_srcs=True)
    pictures = page_candidates(page)
    listing = seconds(lambda: listed(pictures, set()), runs)
    tracemalloc.start()
    try:
        rows = listed(pictures, set())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return {"plain": plain, "both": both, "listing": listing, "pictures": len(pictures),
            "rows": len(rows), "img_srcs": len(page.img_srcs), "peak": peak}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = shape_arguments(__doc__, SHAPES, argv)
    print("| shape | extract ms | with <img src> list ms | listing ms | pictures | rows "
          "| <img src> | listing peak MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    for name in args.shapes:
        m = measure(SHAPES[name](args.size), max(1, args.repeat))
        print(f"| {name} | {m['plain'] * 1000:.0f} | {m['both'] * 1000:.0f} | "
              f"{m['listing'] * 1000:.0f} | {m['pictures']:.0f} | {m['rows']:.0f} | "
              f"{m['img_srcs']:.0f} | {m['peak'] / MIB:.1f} |")  # fmt: skip
    print(f"\nload average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
