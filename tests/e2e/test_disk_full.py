"""Issue 8, acceptance 7: a full disk ends the job failed once ("disk full") with one failed
mail, nothing left running, and the service keeps answering. ``DATA_DIR`` (database, queue,
scratch files, archives) is a real 5 MB tmpfs."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from imgharvest.store.models import Job
from tests.conftest import SmtpSink
from tests.fakeweb import FakeWeb
from tests.fakeweb.catalog import FakeImage
from tests.integration.test_jobs_run import finished, submit
from tests.waiting import wait_for


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "data"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=5m", "tmpfs", str(mount)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def big_images(count: int, prefix: str) -> list[FakeImage]:
    """Distinct 1600x1200 JPEGs of about 45 KB each: 200 of them do not fit in 5 MB."""
    return [FakeImage(f"{prefix}{i}", 9000 + i, width=1600, height=1200) for i in range(count)]


@pytest.mark.slow
def test_a_200_image_job_on_a_5_mb_disk_fails_once_as_disk_full(
    small_disk: Path, run_service: Any, fakeweb: FakeWeb, smtp_sink: SmtpSink
) -> None:
    fakeweb.add_catalog("heavy herons", big_images(260, "hh"))
    services = run_service(data_dir=small_disk, sources=["bing"], min_free_bytes=1024 * 1024)
    created = submit(services, query="heavy herons", count=200, email="gus@example.org")
    body = wait_for(lambda: finished(services, created["id"]), timeout=120)
    assert body["status"] == "failed" and body["error"] == "disk full"
    messages = [event["message"] for event in body["events"]]
    assert messages.count("job failed: disk full") == 1
    assert sum(m.startswith("job started") for m in messages) == 1
    with services.sessions() as session:
        assert session.get_one(Job, created["id"]).attempts == 1
        assert session.query(Job).filter(Job.status == "running").count() == 0
    wait_for(lambda: smtp_sink.of_kind("could not"), timeout=30)
    assert len(smtp_sink.of_kind("could not")) == 1
    assert "disk full" in str(smtp_sink.of_kind("could not")[0].get_body(("plain",)).get_content())
    base = services.settings.public_url
    assert httpx.get(f"{base}/", timeout=10).status_code == 200
    assert httpx.get(f"{base}/jobs/{created['id']}", timeout=10).status_code == 200
    assert not (small_disk / "jobs" / created["id"]).exists()


def test_too_little_free_space_fails_the_job_before_it_starts(
    run_service: Any, fakeweb: FakeWeb, smtp_sink: SmtpSink
) -> None:
    fakeweb.add_catalog("roomless rooks", big_images(5, "rr"))
    services = run_service(sources=["bing"], min_free_bytes=2**60)
    created = submit(services, query="roomless rooks", count=2, email="hal@example.org")
    body = wait_for(lambda: finished(services, created["id"]), timeout=60)
    assert body["status"] == "failed" and body["error"].startswith("disk full: ")
    assert "MIN_FREE_BYTES" in body["error"]
    wait_for(lambda: smtp_sink.of_kind("could not"), timeout=30)
