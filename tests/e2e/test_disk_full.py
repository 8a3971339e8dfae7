"""Issue 8, acceptance 7: a full disk ends the job failed once ("disk full") with one failed
mail, nothing left running, and the service keeps answering. ``DATA_DIR`` (database, queue,
scratch files, archives) is a real 5 MB tmpfs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from imgharvest.cli.app import EXIT_FAILED
from imgharvest.store.models import Job
from tests.conftest import SmtpSink
from tests.e2e.test_cli_dataset_json import assert_matches, folder_info
from tests.e2e.test_cli_output import check_folder
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


def mixed_images(count: int, prefix: str) -> list[FakeImage]:
    """Half 45 KB JPEGs (kept in memory, written whole), half 360 KB BMPs (spilled to their
    file as they arrive): both ways a download meets the disk."""
    return [FakeImage(f"{prefix}{i}", 9500 + i, width=1600, height=1200) if i % 2 else
            FakeImage(f"{prefix}{i}", 9500 + i, width=400, height=300, fmt="BMP")
            for i in range(count)]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["aiohttp", "curl"])
def test_a_200_image_job_on_a_5_mb_disk_fails_once_as_disk_full(
    small_disk: Path, run_service: Any, fakeweb: FakeWeb, smtp_sink: SmtpSink, backend: str
) -> None:
    """Issue 8, acceptance 7, and issue 16, acceptance 8 (the service): both backends alike."""
    fakeweb.add_catalog("heavy herons", mixed_images(260, "hh"))
    services = run_service(data_dir=small_disk, sources=["bing"], min_free_bytes=1024 * 1024,
                           fetch_backend=backend)  # fmt: skip
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


@pytest.mark.parametrize("backend", ["curl", "aiohttp"])
def test_fetch_onto_a_full_disk_exits_with_one_line_and_leaves_no_scratch(
    small_disk: Path, fakeweb: FakeWeb, cli_env: dict[str, str], backend: str
) -> None:
    """Issue 16, acceptance 8 (the CLI): both download backends alike."""
    items = mixed_images(120, f"full{backend}")
    fakeweb.add_catalog(f"full {backend}", items)
    env = {**os.environ, **cli_env, "IMGHARVEST_FETCH_BACKEND": backend, "COLUMNS": "200"}
    out = small_disk / "out"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "imgharvest", "fetch", *[fakeweb.image_url(i) for i in items],
         "-o", str(out)], env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    took = time.monotonic() - started
    lines = done.stderr.strip().splitlines()
    print(f"\n{backend}: exit {done.returncode} after {took:.1f} s: {done.stderr.strip()}")
    assert done.returncode == EXIT_FAILED and took < 60, (done.returncode, took)
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr[-2000:]
    assert lines[0].startswith("failed: disk full: no space left on the disk holding ")
    assert str(small_disk) in lines[0]
    assert not [p for p in small_disk.iterdir() if p.name.startswith(".imgharvest-")]
    if (out / "manifest.csv").exists():  # what was kept is whole and said so
        assert f"images written to {out} with a matching manifest" in lines[0]
        assert_matches(folder_info(out), check_folder(out), len(items))
    elif (out / "images").exists():  # kept images, but the manifest did not fit either
        assert f"what was kept could not be written to {out}" in lines[0]
