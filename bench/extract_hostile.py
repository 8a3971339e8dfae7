"""What the most hostile megabyte of a page costs the extractor, shape by shape.

Usage: ``python -m bench.extract_hostile [--size BYTES] [SHAPE...]``. Each shape is a page of
``--size`` bytes (1 MiB by default) built to make one rule of the extractor work hardest: URL
templates with long size lists, JavaScript-ish data, deep nesting, one element around many
images, noscript copies, picturefill holders, pictures named by number. For each it prints
the extraction time (best of ``--repeat``), the peak of Python allocations (tracemalloc,
one more run) and how many pictures came out. ``tests/unit/test_extract_hostile.py`` runs
the same pages smaller and checks that cost grows in proportion.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping
from typing import Any

from imgharvest.extract.page import extract_images

MIB = 1024 * 1024
PAGE_URL = "https://hostile.example/page.html"
WIDTHS = ",".join(str(w) for w in range(100, 3300, 100))


def repeat(unit: Callable[[int], str], head: str = "", tail: str = "") -> Callable[[int], str]:
    """A page of ``size`` bytes: ``head``, then ``unit(i)`` for i = 0, 1, … , then ``tail``."""

    def build(size: int) -> str:
        parts, length, index = [head], len(head) + len(tail), 0
        while length < size:
            part = unit(index)
            parts.append(part)
            length += len(part)
            index += 1
        return "".join(parts) + tail

    return build


def nested(opening: str, middle: str, closing: str) -> Callable[[int], str]:
    """One attribute as deep (or long) as is read (values past 200,000 characters are not),
    then filler up to the page size."""

    def build(size: int) -> str:
        depth = max(1, (190_000 - len(middle)) // (len(opening) + len(closing)))
        value = opening * depth + middle + closing * depth
        return f'<div data-a="{value}"></div>' + "<p>filler</p>" * ((size - len(value)) // 13)

    return build


SHAPES: dict[str, Callable[[int], str]] = {
    "templates": repeat(
        lambda i: f'<div data-pattern="/p/{i}-{{{{size}}}}.jpg" data-widths="[{WIDTHS}]"></div>'
    ),
    "js-ish list": repeat(
        lambda i: '<div data-a="[' + f"{{'src':'/a{i}.jpg','width':{100 + i}}}," * 200 + ']"></div>'
    ),
    "deep js array": nested("[", "'x'", "]"),
    "deep js object": nested("{a:", "1", "}"),
    "long quoted string": nested("['", "x" * 189_000, "']"),
    "one element, many images": repeat(
        lambda i: f'<img src="/i/{i}.jpg">', '<div data-src="/h/holder.jpg">', "</div>"
    ),
    "one link, many images": repeat(
        lambda i: f'<img src="/i/{i}.jpg">', '<a href="/h/holder.jpg">', "</a>"
    ),
    "noscript copies": repeat(
        lambda i: (
            f'<img src="/p/{i}.jpg" width="40" class="blur">'
            f'<noscript><img src="/f/{i}.jpg"></noscript>'
        )
    ),
    "picturefill holder": repeat(
        lambda i: f'<span data-media="(min-width: {i}px)" data-src="/x/{i}.jpg"></span>',
        "<span data-picture>",
        "</span>",
    ),
    "numbered pictures": repeat(lambda i: f'<img src="/photos/{i}.jpg">'),
}


def cost(html: str, runs: int) -> tuple[float, int, int]:
    """Best time in seconds, peak traced bytes, and the number of pictures found."""
    best, found = float("inf"), 0
    for _ in range(runs):
        start = time.perf_counter()
        found = len(extract_images(html, PAGE_URL))
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    try:
        extract_images(html, PAGE_URL)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return best, peak, found


def shape_arguments(
    doc: str, shapes: Mapping[str, Any], argv: list[str] | None
) -> argparse.Namespace:
    """The command line of a hostile-shape bench: ``shapes`` (each one of ``shapes``; none:
    all), ``--size`` in bytes and ``--repeat``; an unknown shape is a usage error."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("shapes", nargs="*", help=f"of: {', '.join(shapes)}")
    parser.add_argument("--size", type=int, default=MIB, help="page size in bytes")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (best kept)")
    args = parser.parse_args(argv)
    unknown = [s for s in args.shapes if s not in shapes]
    if unknown:
        parser.error(f"unknown shape {unknown[0]!r}")
    args.shapes = args.shapes or list(shapes)
    return args


def main(argv: list[str] | None = None) -> int:
    args = shape_arguments(__doc__, SHAPES, argv)
    print("| shape | bytes | ms | peak MiB | pictures |\n|---|---:|---:|---:|---:|")
    for name in args.shapes:
        html = SHAPES[name](args.size)
        seconds, peak, found = cost(html, max(1, args.repeat))
        print(f"| {name} | {len(html)} | {seconds * 1000:.0f} | {peak / MIB:.1f} | {found} |")
    print(f"\nload average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
