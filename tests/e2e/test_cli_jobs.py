"""Issue 17 item 9: ``jobs inspect`` prints links where the local ``serve`` answers (or at
PUBLIC_URL), not on the default port; ``jobs`` run where there is no database says so and
creates none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from imgharvest.cli import served
from imgharvest.service.lifecycle import Outcome
from imgharvest.service.schemas import SearchRequest
from imgharvest.service.services import build_services
from imgharvest.settings import Settings
from tests.cli_support import run_cli as run


def finished_job(settings: Settings, tmp_path: Path) -> str:
    """A job delivered with a download link, in the database of ``settings``."""
    svc = build_services(settings)
    try:
        job = svc.jobs.create_search(SearchRequest(query="red fox", run_at=svc.clock.now(),
                                                   email="a@example.org", count=1))  # fmt: skip
        claim = svc.jobs.claim(job.id)
        assert claim is not None
        archive = tmp_path / "a.zip"
        archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)
        svc.store.put(f"{job.id}/red-fox.zip", archive)
        row = {"file": "images/0001_red-fox.jpg", "url": "http://x/1.jpg", "width": 3, "height": 2}
        outcome = Outcome("done", "1/1 kept", 1, 1, {}, f"{job.id}/red-fox.zip", [row])
        assert svc.jobs.finish(claim, outcome)
        return job.id
    finally:
        svc.close()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"IMGHARVEST_DATA_DIR": str(tmp_path / "data")}


def test_inspect_links_use_the_port_serve_was_given(
    env: dict[str, str], make_settings: Any, tmp_path: Path
) -> None:
    job_id = finished_job(make_settings(), tmp_path)
    served.remember(make_settings(port=8020))  # what `serve --port 8020` notes at start
    shown = run(env, "jobs", "inspect", job_id, "-q")
    assert shown.exit_code == 0, shown.output
    links = [word for word in shown.stdout.split() if word.startswith("http")]
    assert links and all(link.startswith("http://127.0.0.1:8020/") for link in links), links
    given = run({**env, "IMGHARVEST_PUBLIC_URL": "https://img.example.org"}, "jobs", "inspect",
                job_id, "-q")  # fmt: skip
    assert "https://img.example.org/d/" in given.stdout and "8020" not in given.stdout


@pytest.mark.parametrize("command", [["jobs", "list"], ["jobs", "inspect", "abc"]])
def test_jobs_where_there_is_no_database_say_so_and_create_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run({}, *command)
    assert result.exit_code == 1
    database = tmp_path / "data" / "imgharvest.db"
    assert result.stderr.strip().startswith(f"error: no database at {database}")
    assert list(tmp_path.iterdir()) == [], "nothing is created"
