"""Profiles ``imgharvest fetch`` with py-spy (all threads, sampled from outside) and says where
the time goes: inclusive share per module, and the hottest functions by self time."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from bench import tools
from bench.imagehost import BenchWeb, mixed_catalog
from bench.measure import run_measured

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*):\d+\)$")
RATE = 250  # samples per second


def profile_fetch(work: Path, top: int = 25) -> str:
    """Profile the fetch scenario twice: every active thread, then only the GIL holder
    (the serial part that bounds a one-process asyncio program)."""
    return "\n\n".join(_profile_once(work, top, gil) for gil in (False, True))


def _profile_once(work: Path, top: int, gil: bool) -> str:
    """Run the fetch scenario once for imgharvest under py-spy; return the summary text."""
    raw = work / f"pyspy{'-gil' if gil else ''}.txt"
    web = BenchWeb(mixed_catalog(), latency=0.05)
    with web:
        urls = work / "urls.txt"
        urls.write_text("\n".join(web.urls()) + "\n")
        inv = tools.imgharvest(urls, work / f"out-{gil}", work)
        spy = [str(tools.BENCH_VENV / "py-spy"), "record", "-r", str(RATE), "-f", "raw"]
        spy += ["--full-filenames", *(["--gil"] if gil else []), "-o", str(raw), "--"]
        measured = run_measured(spy + inv.argv, inv.env, work, work / "pyspy.log")
    which = "GIL holder only" if gil else "all active threads"
    header = f"## {which}: wall {measured.wall:.2f} s under py-spy ({RATE} Hz)"
    return header + "\n" + summarise(raw.read_text(), top)


def summarise(collapsed: str, top: int) -> str:
    """Inclusive share by owner (imgharvest module / library / stdlib) and self time by function."""
    owners: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count, frames = int(count_text), stack.split(";")
        total += count
        for owner in {_owner(f) for f in frames}:
            owners[owner] += count
        leaves[_short(frames[-1])] += count
    return _format(owners, leaves, total, top)


def _format(owners: Counter[str], leaves: Counter[str], total: int, top: int) -> str:
    if total == 0:
        return "no samples"
    seconds = total / RATE
    lines = [f"{total} samples = {seconds:.2f} CPU-s", "", "inclusive, by module:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in owners.most_common(top)]
    lines += ["", "self, by function:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in leaves.most_common(top)]
    return "\n".join(lines)


def _owner(frame: str) -> str:
    match = FRAME.match(frame)
    path = match.group("file") if match else frame
    if "/imgharvest/" in path:
        return "imgharvest/" + path.rsplit("/imgharvest/", 1)[1]
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0]
    if path.startswith("<frozen"):
        return "import machinery" if "importlib" in path else path
    return "stdlib:" + path.rsplit("/", 1)[-1]


def _short(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    return f"{match.group('func')} ({_owner(frame)})"
