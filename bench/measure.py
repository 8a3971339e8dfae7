"""Runs one command and measures it: wall time and peak RSS of its whole process tree."""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Measured:
    """What one run cost: seconds from spawn to exit, peak tree RSS in bytes, exit code, and
    CPU seconds (user + system) of the whole tree, less sensitive to a loaded machine."""

    wall: float
    peak_rss: int
    returncode: int
    started: float  # time.time() at spawn, to compare with file mtimes
    cpu: float = 0.0
    load: float = 0.0  # the machine's 1-minute load average at spawn (/proc/loadavg)


def run_measured(
    argv: list[str], env: dict[str, str], cwd: Path, log: Path, limit: float = 600.0
) -> Measured:
    """Run ``argv`` to completion (killed after ``limit`` seconds), polling its tree's RSS."""
    before, load = _children_cpu(), load_average()
    with log.open("wb") as out:
        started = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        watcher = _Watcher(proc.pid)
        watcher.start()
        try:
            code = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        wall = time.perf_counter() - t0
        watcher.stop()
    return Measured(wall, watcher.peak, code, started, _children_cpu() - before, load)


def load_average() -> float:
    """The 1-minute load average (how busy the shared machine was), 0 where unknown."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0


def _children_cpu() -> float:
    # Children are run one at a time, so the difference is this run's tree (reaped ones only).
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class _Watcher(threading.Thread):
    """Polls the summed RSS of a process and its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak = pid, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop_event.wait(POLL_SECONDS)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def tree_rss(root: int) -> int:
    """Summed resident memory (bytes) of ``root`` and every descendant still alive."""
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss(pid)
        todo += _children(pid)
    return total


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0  # the process ended between listing and reading


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            kids += [int(c) for c in (task / "children").read_text().split()]
    except (OSError, ValueError):
        pass
    return kids
