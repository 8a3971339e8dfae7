"""Issue 8, acceptance 8: a damaged database is one line and exit 1 at start, a 503 page (and a
logged error) when found while serving, and ``imgharvest db check`` names the damage."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from imgharvest.cli.app import app
from imgharvest.clock import ManualClock
from imgharvest.service.services import Services, build_services
from imgharvest.settings import Settings
from imgharvest.web.app import create_app
from tests.conftest import free_port
from tests.integration.test_jobs import search


def _settings(data: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data, secret_key="s", port=free_port())


def _env(data: Path) -> dict[str, str]:
    return {**os.environ, "IMGHARVEST_DATA_DIR": str(data), "IMGHARVEST_PORT": str(free_port())}


def _jobs_with_rows(data: Path, n: int = 60) -> list[str]:
    services = build_services(_settings(data), clock=ManualClock())
    ids = [services.jobs.create_search(search(ManualClock(), query=f"q{i}")).id for i in range(n)]
    services.close()
    return ids


def _damage_table(db: Path, table: str) -> None:
    """Overwrite the root page of ``table`` with garbage (what a bad disk leaves)."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        page = root.fetchone()[0]
    conn.close()
    with db.open("r+b") as f:
        f.seek((page - 1) * page_size)
        f.write(b"\xa5" * page_size)


def test_serve_on_a_garbage_database_prints_one_line_and_exits_1(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "imgharvest.db").write_bytes(os.urandom(64 * 1024))
    cmd = [sys.executable, "-m", "imgharvest", "serve"]
    done = subprocess.run(cmd, env=_env(data), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert str(data / "imgharvest.db") in lines[0] and "damaged" in lines[0]
    assert "restore" in lines[0] and "imgharvest db check" in lines[0]


def test_db_check_reports_a_sound_and_a_damaged_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _jobs_with_rows(data, 5)
    env = {"IMGHARVEST_DATA_DIR": str(data)}
    sound = CliRunner().invoke(app, ["db", "check"], env=env)
    assert sound.exit_code == 0 and "ok" in sound.output, sound.output
    _damage_table(data / "imgharvest.db", "jobs")
    damaged = CliRunner().invoke(app, ["db", "check"], env=env)
    assert damaged.exit_code == 1 and "DAMAGED" in damaged.output, damaged.output


@pytest.fixture
def damaged_app(tmp_path: Path) -> tuple[Services, list[str]]:
    data = tmp_path / "data"
    ids = _jobs_with_rows(data)
    _damage_table(data / "imgharvest.db", "jobs")
    return build_services(_settings(data), clock=ManualClock()), ids


async def test_damage_found_while_serving_is_a_503_page_and_a_logged_error(
    damaged_app: tuple[Services, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    services, ids = damaged_app
    transport = httpx.ASGITransport(create_app(services.settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = await client.get(f"/jobs/{ids[0]}")
        body = {"query": "fox", "count": 2, "email": "a@example.org"}
        created = await client.post("/api/v1/jobs/search", json=body)
    services.close()
    assert page.status_code == 503 and "text/html" in page.headers["content-type"]
    assert "database is damaged" in page.text and "Traceback" not in page.text
    assert created.status_code == 503
    assert created.json() == {"errors": {"database": created.json()["errors"]["database"]}}
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert any("database damaged" in r.getMessage() for r in logged)
