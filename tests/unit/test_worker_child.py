"""``WorkerChild`` with real child processes: restarted when it dies, stopped gracefully,
killed when it will not stop; and the command line it runs."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest

from imgharvest.service import worker_child
from imgharvest.service.worker_child import WorkerChild, worker_argv
from tests.waiting import wait_for

PY = sys.executable


def python(code: str) -> list[str]:
    return [PY, "-c", code]


def test_a_child_that_dies_is_started_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_child, "BACKOFF", (0.05, 0.1))
    child = WorkerChild(python("import sys; sys.exit(3)"), {})
    child.start()
    try:
        wait_for(lambda: child.restarts >= 3, timeout=30, step=0.05)
    finally:
        child.stop()
    assert child.proc is not None and child.proc.returncode == 3


def test_stop_asks_with_sigint_and_waits(tmp_path: Path) -> None:
    said = tmp_path / "said"
    code = ("import signal, sys, time, pathlib\n"
            "def bye(*_):\n"
            f"    pathlib.Path({str(said)!r}).write_text('SIGINT'); sys.exit(0)\n"
            "signal.signal(signal.SIGINT, bye)\n"
            "time.sleep(60)\n")  # fmt: skip
    child = WorkerChild(python(code), {})
    child.start()
    time.sleep(0.5)  # let it install its handler
    child.stop()
    assert child.proc is not None and child.proc.returncode == 0
    assert said.read_text() == "SIGINT"
    assert child.restarts == 0


def test_a_child_that_will_not_stop_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_child, "STOP_SECONDS", 0.5)
    code = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(60)"
    child = WorkerChild(python(code), {})
    child.start()
    time.sleep(0.5)
    child.stop()
    assert child.proc is not None and child.proc.returncode == -signal.SIGKILL


def test_the_worker_command_line_carries_config_verbosity_and_parent() -> None:
    argv = worker_argv(Path("site.toml"), -1, 4321)
    assert argv[:3] == [PY, "-m", "imgharvest"]
    assert argv[3:] == ["--config", "site.toml", "worker", "-q", "--parent-pid", "4321"]
    assert worker_argv(None, 2, 7)[3:] == ["worker", "-v", "-v", "--parent-pid", "7"]
