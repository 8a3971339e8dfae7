"""Acceptance (issue 17, case 2): with every source pointed at a host whose name does not
resolve, ``get`` exits 1 within 10 s with at most 4 lines on stderr naming the network cause,
and ``--json`` gives one object with a failed status; ``sources --check`` says "unreachable
(DNS)"; refused connections are told apart from names that do not resolve.

The hosts are ``.invalid`` names: RFC 6761 has resolvers answer them "no such name" at once,
and the guard's resolver does so itself, so no DNS server is ever asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from imgharvest.cli.app import EXIT_FAILED
from tests.cli_support import run_cli as invoke
from tests.conftest import free_port
from tests.task_check import assert_no_lost_task

SOURCES = ("BING", "DUCKDUCKGO", "GOOGLE", "OPENVERSE", "WIKIMEDIA")


def offline_env(tmp_path: Path, base: str = "https://{name}.example.invalid") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGHARVEST_")}
    env.update({f"IMGHARVEST_{s}_URL": base.format(name=s.lower()) for s in SOURCES})
    env.update(IMGHARVEST_DATA_DIR=str(tmp_path / "data"), COLUMNS="200")
    return env


Done = subprocess.CompletedProcess[str]


def run(env: dict[str, str], *args: str, cwd: Path) -> tuple[Done, float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "imgharvest", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert_no_lost_task(done.stderr)
    return done, time.monotonic() - started


def test_no_network_is_one_line_within_ten_seconds(tmp_path: Path) -> None:
    done, seconds = run(offline_env(tmp_path), "get", "red fox", "-n", "20", cwd=tmp_path)
    assert done.returncode == EXIT_FAILED, done.stderr
    assert seconds < 10, f"took {seconds:.1f} s"
    lines = done.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 4, done.stderr
    assert lines[-1] == (
        "failed: no network: names do not resolve (bing.example.invalid, "
        "duckduckgo.example.invalid, google.example.invalid, …)"
    )
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert list(tmp_path.glob("*.zip")) == [], "nothing is written"


def test_no_network_with_json_prints_one_failed_object(tmp_path: Path) -> None:
    done, seconds = run(offline_env(tmp_path), "get", "red fox", "-n", "20", "--json",
                        cwd=tmp_path)  # fmt: skip
    assert done.returncode == EXIT_FAILED and seconds < 10, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    summary = json.loads(lines[0])
    assert summary["status"] == "failed" and summary["delivered"] == 0
    assert summary["wanted"] == 20 and summary["output"] is None
    assert summary["error"].startswith("no network: names do not resolve (")
    assert len(done.stderr.strip().splitlines()) <= 4, done.stderr


def test_refused_connections_are_named_as_such(tmp_path: Path) -> None:
    env = offline_env(tmp_path, f"http://127.0.0.1:{free_port()}")
    env["IMGHARVEST_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    result = invoke(env, "get", "red fox", "-n", "5", "-o", str(tmp_path / "x.zip"), "--json")
    assert result.exit_code == EXIT_FAILED
    assert json.loads(result.stdout)["error"] == "no network: connections are refused (127.0.0.1)"
    assert "connections are refused" in result.stderr


def test_sources_check_says_unreachable_dns(tmp_path: Path) -> None:
    result = invoke(offline_env(tmp_path), "sources", "--check", "red fox")
    assert result.exit_code == 1
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    for name in ("bing", "duckduckgo", "google", "openverse", "wikimedia"):
        assert "unreachable (DNS)" in lines[name], lines[name]
        assert f"names do not resolve ({name}.example.invalid)" in lines[name]
    assert "broken" not in result.stdout
    answer = json.loads(invoke(offline_env(tmp_path), "sources", "--check", "x", "--json").stdout)
    checks = {s["name"]: s["check"] for s in answer["sources"]}
    assert checks["bing"]["status"] == "unreachable" and checks["bing"]["cause"] == "dns"
