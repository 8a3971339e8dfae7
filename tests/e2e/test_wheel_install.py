"""Acceptance (issue 7): the sdist and wheel build, and the wheel installed into a fresh venv
with no pip cache runs ``imgharvest --version`` and a ``get`` against the fake web.

Slow (it installs every runtime dependency from the package index): ``make wheel-check``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from imgharvest import __version__
from tests.fakeweb import FakeWeb

pytestmark = [pytest.mark.wheel, pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=800
    )
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_wheel_installs_and_runs_from_a_fresh_venv(tmp_path: Path, fakeweb: FakeWeb) -> None:
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, ROOT, cwd=tmp_path)
    wheels = list(dist.glob("imgharvest-*.whl"))
    assert len(wheels) == 1 and list(dist.glob("imgharvest-*.tar.gz"))
    with zipfile.ZipFile(wheels[0]) as zf:
        assert "imgharvest/web/vendor/bootstrap/css/bootstrap.min.css" in zf.namelist()
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    clean = {**os.environ, "PIP_NO_CACHE_DIR": "1"}
    run(venv / "bin" / "pip", "install", "-q", wheels[0], cwd=tmp_path, env=clean)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    exe = venv / "bin" / "imgharvest"
    assert run(exe, "--version", cwd=elsewhere).strip() == f"imgharvest {__version__}"
    env = {
        **clean,
        "IMGHARVEST_BING_URL": fakeweb.url,
        "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.0/8",
        "IMGHARVEST_DATA_DIR": str(elsewhere / "data"),
    }
    run(exe, "get", "wheel check cats", "-n", "5", "-s", "bing", "-o", "cats.zip",
        cwd=elsewhere, env=env)  # fmt: skip
    with zipfile.ZipFile(elsewhere / "cats.zip") as zf:
        images = [n for n in zf.namelist() if n.startswith("images/")]
        manifest = zf.read("manifest.csv").decode().splitlines()
    assert len(images) == 5 and len(manifest) == 6
