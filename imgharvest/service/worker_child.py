"""The job worker as a child process of ``serve``: started, restarted, stopped by its
parent (``WorkerChild``), and dying with it (``die_with_parent``).

Jobs then never share the web tier's GIL: page and API latency do not depend on job load.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("imgharvest.service")

# Huey's graceful stop (SIGINT) lets running tasks end for up to 30 s; then SIGKILL.
STOP_SECONDS = 40.0
BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STEADY = 60.0  # a child that lived this long starts the backoff afresh
PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 1.0


def worker_argv(config: Path | None, verbosity: int, parent: int) -> list[str]:
    """The command line of ``imgharvest worker`` as the child of process ``parent``."""
    head = [sys.executable, "-m", "imgharvest"]
    if config is not None:
        head += ["--config", str(config)]
    loud = ["-q"] if verbosity < 0 else ["-v"] * verbosity
    return [*head, "worker", *loud, "--parent-pid", str(parent)]


class WorkerChild:
    """One supervised ``worker`` process: restarted with a bounded backoff when it dies."""

    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        self.argv, self.env = list(argv), env
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._started = threading.Event()
        # The child's parent-death signal follows the thread that spawned it: this one
        # spawns every child and lives until the last one has stopped.
        self._thread = threading.Thread(target=self._supervise, name="worker-child", daemon=True)

    @property
    def pid(self) -> int | None:
        """The current child's pid (None before the first start)."""
        return None if self.proc is None else self.proc.pid

    def start(self) -> None:
        """Start the first child (returns once it is spawned)."""
        self._thread.start()
        self._started.wait(30)

    def stop(self) -> None:
        """Stop the child gracefully (SIGINT), SIGKILL after ``STOP_SECONDS``."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(STOP_SECONDS + 15)

    def _supervise(self) -> None:
        failures = 0
        try:
            while not self._stopping.is_set():
                began = time.monotonic()
                self.proc = self._spawn()
                code = self._wait(self.proc)
                if code is None:
                    break
                failures = 0 if time.monotonic() - began > STEADY else failures + 1
                delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
                log.warning("worker process %d exited (%s); another in %.0f s",
                            self.proc.pid, code, delay)  # fmt: skip
                self.restarts += 1
                self._stopping.wait(delay)
        finally:
            self._started.set()
            self._end()

    def _spawn(self) -> subprocess.Popen[bytes]:
        # its own session: a terminal's Ctrl-C reaches serve alone, which stops it once
        proc = subprocess.Popen(self.argv, env=self.env, start_new_session=True)
        log.info("worker process %d started", proc.pid)
        self._started.set()
        return proc

    def _wait(self, proc: subprocess.Popen[bytes]) -> int | None:
        """The child's exit code, or None once asked to stop."""
        while proc.poll() is None:
            if self._stopping.wait(0.5):
                return None
        return proc.returncode

    def _end(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            log.warning("worker process %d did not stop in %.0f s; killed", proc.pid, STOP_SECONDS)
            proc.kill()
            proc.wait(10)


def die_with_parent(parent: int) -> None:
    """End this process (SIGKILL, as if it were still a thread of its parent) when ``parent``
    is gone: the kernel's parent-death signal on Linux, and a watch thread everywhere."""
    _parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent:
        _die()  # the parent died before the signal was armed
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _parent_death_signal(signum: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
    except (OSError, AttributeError) as exc:
        log.debug("no parent-death signal (%s); the watch thread remains", exc)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_SECONDS)
    _die()


def _die() -> None:
    log.warning("serve (the parent) is gone; this worker stops with it")
    os.kill(os.getpid(), signal.SIGKILL)
