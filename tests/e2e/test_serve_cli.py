"""The service commands: ``db upgrade``, ``jobs list`` and ``jobs inspect``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from imgharvest.cli.app import app
from imgharvest.clock import ManualClock
from imgharvest.service.services import build_services
from imgharvest.settings import Settings
from tests.integration.test_jobs import search


def test_db_upgrade_then_jobs_list_and_inspect(tmp_path: Path) -> None:
    env = {"IMGHARVEST_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'imgharvest.db'}")
    assert "jobs" in inspect(engine).get_table_names()
    engine.dispose()
    services = build_services(Settings(_env_file=None, data_dir=tmp_path / "data"))
    job = services.jobs.create_search(search(ManualClock(), query="listed lemur"))
    services.close()
    listed = runner.invoke(app, ["jobs", "list"], env=env)
    assert listed.exit_code == 0 and job.id in listed.output and "listed lemur" in listed.output
    shown = runner.invoke(app, ["jobs", "inspect", job.id], env=env)
    assert shown.exit_code == 0 and "scheduled" in shown.output and "job scheduled" in shown.output
    missing = runner.invoke(app, ["jobs", "inspect", "nope"], env=env)
    assert missing.exit_code == 1
