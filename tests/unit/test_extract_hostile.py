"""The extractor's worst cases (issue 19's new rules among them): for each hostile page shape
of ``bench/extract_hostile.py``, a page 8 times larger costs about 8 times the time (never
the square), Python's allocations stay within a few dozen times the page, and no URL comes
out holding a template placeholder. The 1 MiB figures are in ``bench/README.md``."""

from __future__ import annotations

import gc
import time
import tracemalloc

import pytest

from bench.extract_hostile import PAGE_URL, SHAPES
from imgharvest.extract.page import ImageRef, extract_images
from imgharvest.extract.template import unfilled

SMALL, LARGE = 8 * 1024, 64 * 1024  # 8 times larger
FLOOR = 0.01  # CPU seconds: below this a run is all fixed cost and clock granularity
MEMORY_PER_BYTE = 100  # traced bytes per page byte (lexbor's own tree is not traced)


def best_time(html: str, runs: int = 3) -> float:
    """CPU time (other processes on the machine do not count), best of ``runs``, without
    Python's cycle collector, whose passes cost what earlier tests left in memory."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            start = time.process_time()
            extract_images(html, PAGE_URL)
            best = min(best, time.process_time() - start)
    finally:
        gc.enable()
    return best


def traced_peak(html: str) -> tuple[int, list[ImageRef]]:
    tracemalloc.start()
    try:
        refs = extract_images(html, PAGE_URL)
        return tracemalloc.get_traced_memory()[1], refs
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_cost_grows_in_proportion_to_the_page(shape: str) -> None:
    small, large = SHAPES[shape](SMALL), SHAPES[shape](LARGE)
    ratio = max(best_time(large, 2), FLOOR) / max(best_time(small), FLOOR)
    assert ratio < 24, f"{shape}: 8 times the page took {ratio:.0f} times as long"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_memory_is_bounded_and_nothing_unfilled_comes_out(shape: str) -> None:
    html = SHAPES[shape](LARGE)
    peak, refs = traced_peak(html)
    assert peak < MEMORY_PER_BYTE * len(html), f"{shape}: {peak} bytes traced"
    urls = [u for r in refs for u in (r.url, *r.fallbacks)]
    assert [u for u in urls if unfilled(u)] == []
    assert len(refs) <= len(html) // 16  # a picture costs its page at least an element
