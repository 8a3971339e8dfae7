"""Acceptance: the README's run command, as written, starts a working service."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    """The indented commands of the README's 'On a fresh machine' section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    return [m.split("#")[0].strip() for m in re.findall(r"^    (\S.*)$", section, re.M)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_page(url: str, proc: subprocess.Popen[bytes], seconds: float = 90) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the service exited early"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return str(answer.read().decode("utf-8"))
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def test_readme_names_a_run_and_a_test_command() -> None:
    assert readme_commands() == ["make run", "make test"]


@pytest.mark.slow
def test_readme_run_command_serves_the_form(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, IMGHARVEST_PORT=str(port), IMGHARVEST_DATA_DIR=str(tmp_path / "d"))
    command = readme_commands()[0]
    proc = subprocess.Popen(command.split(), cwd=ROOT, env=env, start_new_session=True)
    try:
        page = wait_for_page(f"http://127.0.0.1:{port}/", proc)
        assert 'name="search-query"' in page
        assert (tmp_path / "d" / "imgharvest.db").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
