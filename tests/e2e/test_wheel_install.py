"""Acceptance (issues 7 and 15): the sdist and wheel build, and the wheel installed into a fresh
venv with no pip cache runs ``imgharvest --version``, a ``get`` against the fake web, and
``serve``: its pages answer and a job submitted to it runs to its "ready" mail (migrations,
templates and mail templates all come from the wheel).

Slow (it installs every runtime dependency from the package index): ``make wheel-check``.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from imgharvest import __version__
from tests.conftest import free_port
from tests.fakeweb import FakeWeb
from tests.waiting import wait_for

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
    serves(exe, elsewhere, env)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read()
    except OSError:
        return 0, b""


def _post_json(url: str, body: dict[str, object]) -> dict[str, object]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201
        created: dict[str, object] = json.loads(answer.read())
        return created


def _subject(eml: Path) -> str:
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    return str(message["Subject"])


def serves(exe: Path, cwd: Path, env: dict[str, str]) -> None:
    """``serve`` from the wheel: the form, /healthz, and a job run to its "ready" mail."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _status, page = wait_for(lambda: (got := _get(base + "/"))[0] == 200 and got, 120)
        assert b'name="search-query"' in page
        assert _get(base + "/healthz")[0] == 200
        job = _post_json(base + "/api/v1/jobs/search",
                         {"query": "wheel serve cats", "count": 3, "sources": ["bing"],
                          "email": "someone@example.org"})  # fmt: skip
        outbox = cwd / "data" / "outbox"
        wait_for(lambda: any(_subject(p).endswith("are ready") for p in outbox.glob("*.eml")), 120)
        assert job["id"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
