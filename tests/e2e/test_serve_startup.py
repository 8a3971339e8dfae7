"""``serve`` first says where the data, the archives and the mail go (issue 7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port


def _serve_lines(tmp_path: Path, data: Path, until: str) -> list[str]:
    """``serve``'s log lines up to the first holding ``until`` (at most 80)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGHARVEST_")}
    env.update(IMGHARVEST_DATA_DIR=str(data), IMGHARVEST_PORT=str(free_port()),
               IMGHARVEST_WORKERS="1")  # fmt: skip
    lines: list[str] = []
    with subprocess.Popen([sys.executable, "-m", "imgharvest", "serve"], env=env, cwd=tmp_path,
                          stderr=subprocess.PIPE, text=True) as proc:  # fmt: skip
        try:
            assert proc.stderr is not None
            for line in proc.stderr:
                lines.append(line)
                if until in line or len(lines) > 80:
                    break
        finally:
            proc.kill()  # only its first lines matter here; stopping cleanly is tested elsewhere
    return lines


@pytest.mark.slow
def test_serve_first_lines_say_where_things_go(tmp_path: Path) -> None:
    data = tmp_path / "data"
    lines = _serve_lines(tmp_path, data, "serving on")
    first = "".join(lines[:4])
    assert f"data: {data.resolve()}" in first
    assert f"archives: file://{(data / 'archives').resolve()}" in first
    assert f"mail: no SMTP_URL, so written as .eml files to {data.resolve() / 'outbox'}" in first


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_worker_child_does_not_repeat_where_things_go(tmp_path: Path) -> None:
    data = tmp_path / "data"
    lines = _serve_lines(tmp_path, data, "worker with")
    assert "worker with" in lines[-1], "".join(lines)
    assert sum(f"data: {data.resolve()}" in line for line in lines) == 1, "".join(lines)
