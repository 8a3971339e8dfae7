"""Rendered crawl bench (issue 6): ``python -m bench.render_crawl [--runs N]``.

A 5-page site on the fake web whose images appear only after script runs and the
reader scrolls. Measured side by side in one run: Chromium's start-up on its own,
the rendered crawl with the browser warm, and the whole ``imgharvest crawl
--render`` command as a user runs it (a fresh process: Python start, browser
start-up, five pages), next to the plain crawl (which finds none of the images).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from imgharvest.browser.host import BrowserHost
from imgharvest.events import EventList
from imgharvest.pipeline.run import crawl
from imgharvest.settings import Settings
from imgharvest.sources.base import SourceOptions
from tests.fakeweb import FakeWeb
from tests.fakeweb.render import SITE_PAGES

ROOT = Path(__file__).resolve().parents[1]
IMAGES_PER_PAGE = 3


def settings(tmp: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp, allowed_networks=["127.0.0.1/32"])


async def startup(cfg: Settings) -> float:
    """Seconds to launch Chromium on a fresh host (Playwright driver included)."""
    host = BrowserHost()
    started = time.perf_counter()
    await host.call(host.browser, cfg)
    took = time.perf_counter() - started
    await asyncio.to_thread(host.close)
    return took


async def warm_crawl(cfg: Settings, start: str) -> tuple[float, int]:
    """Seconds for the rendered crawl of the site with the browser already up; images found."""
    options = SourceOptions(depth=1, max_pages=SITE_PAGES, render=True)
    await crawl([start], cfg, events=EventList(), options=options)  # brings the browser up
    started = time.perf_counter()
    links = await crawl([start], cfg, events=EventList(), options=options)
    return time.perf_counter() - started, len(links)


def command(start: str, tmp: Path, render: bool) -> tuple[float, int]:
    """Wall seconds of ``imgharvest crawl`` in a fresh process, and the links it printed."""
    env = {**os.environ, "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.1/32",
           "IMGHARVEST_DATA_DIR": str(tmp)}  # fmt: skip
    args = [str(Path(sys.executable).with_name("imgharvest")), "crawl", start, "--depth", "1",
            "--max-pages", str(SITE_PAGES), *(["--render"] if render else [])]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True, timeout=120)
    return time.perf_counter() - started, len(done.stdout.split())


def measure(runs: int, tmp: Path) -> dict[str, Any]:
    cfg = settings(tmp)
    with FakeWeb() as fw:
        start = f"{fw.url}/render/site/0"
        rows: dict[str, list[float]] = {"startup": [], "warm": [], "cli": [], "plain": []}
        found: dict[str, int] = {}
        for _ in range(runs):
            rows["startup"].append(asyncio.run(startup(cfg)))
            took, found["warm"] = asyncio.run(warm_crawl(cfg, start))
            rows["warm"].append(took)
            took, found["cli"] = command(start, tmp, render=True)
            rows["cli"].append(took)
            took, found["plain"] = command(start, tmp, render=False)
            rows["plain"].append(took)
    return {"rows": rows, "found": found}


def table(result: dict[str, Any], load: tuple[float, float]) -> str:
    rows, found = result["rows"], result["found"]
    expected = SITE_PAGES * IMAGES_PER_PAGE
    lines = [
        f"rendered crawl of a {SITE_PAGES}-page site, median of {len(rows['warm'])} "
        f"(min-max); load average {load[0]:.2f} before, {load[1]:.2f} after; "
        f"{os.cpu_count()} CPUs",
        "",
        "| step | seconds | images found |",
        "|---|---|---|",
        f"| Chromium start-up (alone) | {_fmt(rows['startup'])} | - |",
        f"| rendered crawl, browser warm | {_fmt(rows['warm'])} | {found['warm']} of {expected} |",
        f"| `imgharvest crawl --render` (fresh process, start-up included) | {_fmt(rows['cli'])} "
        f"| {found['cli']} of {expected} |",
        f"| `imgharvest crawl` (no browser) | {_fmt(rows['plain'])} "
        f"| {found['plain']} of {expected} |",
    ]
    return "\n".join(lines)


def _fmt(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.render_crawl", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import tempfile

    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="imgharvest-render-bench-") as tmp:
        result = measure(max(1, args.runs), Path(tmp))
    print(table(result, (before, os.getloadavg()[0])))


if __name__ == "__main__":
    main()
