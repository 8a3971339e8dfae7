"""Issue 17, acceptance 5: ``serve`` on a busy port exits 2 with one line naming the port and
how to pick another, before anything starts (no worker child, no traceback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IMGHARVEST_")}
    clean.update(IMGHARVEST_DATA_DIR=str(tmp_path / "data"), IMGHARVEST_WORKERS="1", **env)
    command = [sys.executable, "-m", "imgharvest", "serve", *args]
    return subprocess.run(command, env=clean, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


@pytest.mark.parametrize("how", ["--port", "IMGHARVEST_PORT"])
def test_a_busy_port_is_one_line_and_exit_2(tmp_path: Path, how: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        if how == "--port":
            done = serve(tmp_path, "--port", str(port))
        else:
            done = serve(tmp_path, IMGHARVEST_PORT=str(port))
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"imgharvest: port {port} on 127.0.0.1 is already in use; pick another with --port or "
        f"IMGHARVEST_PORT (e.g. --port {port + 1})"
    ]
    assert done.stdout == ""
    assert not (tmp_path / "data").exists()  # nothing started: no database, no worker child


def test_a_host_that_is_not_here_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = serve(tmp_path, "--host", "192.0.2.1", "--port", "8999")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "imgharvest: cannot listen on '192.0.2.1': no such local address; check --host or "
        "IMGHARVEST_HOST"
    ]


@pytest.mark.parametrize(("args", "env"), [(["--port", "70000"], {}), (["--port", "0"], {}),
                                           ([], {"IMGHARVEST_PORT": "99999"})])  # fmt: skip
def test_a_port_outside_1_to_65535_is_exit_2_naming_it(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    """It raised OverflowError from bind() with a traceback and exit 1."""
    done = serve(tmp_path, *args, **env)
    assert done.returncode == 2, done.stderr
    assert "port" in done.stderr.splitlines()[1] and "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()
