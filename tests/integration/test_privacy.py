"""Data gone at expiry (issue 10, acceptance 2): after a job's link expires and housekeeping
runs, no file under DATA_DIR (database, WAL, logs, outbox, queue) holds its address or query;
the job page says "expired"; after RECORD_TTL_SECONDS the job is gone (404)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from imgharvest.cli.logging_setup import setup_logging
from imgharvest.clock import ManualClock
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.integration.test_jobs_run import finished, job, submit
from tests.waiting import wait_for

LINK_TTL, RECORD_TTL = 600, 3600


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Service logs written to a file under DATA_DIR, as ``LOG_FILE`` would."""
    path = tmp_path / "data" / "logs" / "imgharvest.log"
    root = logging.getLogger()
    before = list(root.handlers)
    setup_logging(log_file=path)
    yield path
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()


def files_holding(folder: Path, needles: list[bytes]) -> dict[str, list[bytes]]:
    """Every file under ``folder`` containing any needle (byte search, case-insensitive)."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes().lower()
        hits = [n for n in needles if n.lower() in data]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def needles(address: str, query: str) -> list[bytes]:
    forms = {address, query, quote(address), quote_plus(query), quote(query, safe="")}
    return sorted({f.encode() for f in forms} | {query.encode("utf-16-le")})


def test_after_expiry_no_file_holds_the_address_or_the_query(
    run_service: Any, fakeweb: FakeWeb, log_file: Path
) -> None:
    tag = uuid.uuid4().hex[:10]
    query, address = f"quokka {tag} sunset", f"priv-{tag}@example.org"
    fakeweb.add_catalog(query, cat.good(6, start=9300, prefix=f"pv{tag[:4]}"))
    clock = ManualClock()
    services = run_service(clock=clock, smtp_url=None, sources=["bing"],
                           link_ttl_seconds=LINK_TTL, record_ttl_seconds=RECORD_TTL)  # fmt: skip
    data = services.settings.data_dir
    created = submit(services, query=query, count=3, email=address)
    body = wait_for(lambda: finished(services, created["id"]))
    assert body["status"] == "done"
    outbox = data / "outbox"
    wait_for(lambda: len(list(outbox.glob("*.eml"))) == 2)  # started + finished
    before = files_holding(data, needles(address, query))
    assert any(name.startswith("outbox/") for name in before), before  # the search can find them
    assert any(name.startswith("imgharvest.db") for name in before), before

    clock.advance(LINK_TTL + 1)
    services.tasks.housekeeping()

    assert files_holding(data, needles(address, query)) == {}
    assert log_file.stat().st_size > 0  # the log was written, without the query
    page = httpx.get(f"{services.settings.public_url}/jobs/{created['id']}", timeout=10)
    assert page.status_code == 200 and 'data-status="expired"' in page.text
    assert query not in page.text and address not in page.text
    tomb = job(services, created["id"])
    assert tomb["status"] == "expired" and tomb["kept"] == 3 and tomb["query"] == ""
    assert tomb["events"] == [] and tomb["resubmit_url"] is None

    clock.advance(RECORD_TTL)
    services.tasks.housekeeping()
    gone = httpx.get(f"{services.settings.public_url}/jobs/{created['id']}", timeout=10)
    assert gone.status_code == 404
    api_gone = httpx.get(f"{services.settings.public_url}/api/v1/jobs/{created['id']}")
    assert api_gone.status_code == 404


def test_after_expiry_no_file_holds_a_crawled_page_s_query_string(
    run_service: Any, fakeweb: FakeWeb, log_file: Path
) -> None:
    """Issue 16, item 14: the log file (inside DATA_DIR) never gets a page URL's query string;
    the job's events have it until the job is gone."""
    secret = f"visitor=carol-{uuid.uuid4().hex[:10]}"
    clock = ManualClock()
    services = run_service(clock=clock, smtp_url=None, link_ttl_seconds=LINK_TTL,
                           record_ttl_seconds=RECORD_TTL)  # fmt: skip
    page = f"{fakeweb.url}/site/crawl/p1.html?{secret}&ref=mail#from-carol"
    base = services.settings.public_url
    created = httpx.post(f"{base}/api/v1/jobs/crawl", json={"urls": [page]}, timeout=10).json()
    body = wait_for(lambda: finished(services, created["id"]))
    assert body["status"] == "done", body
    assert any(secret in e["message"] for e in body["events"])  # the job's own record has it
    logged = log_file.read_text(encoding="utf-8")
    assert f"image link on {fakeweb.url}/site/crawl/p1.html?[…]" in logged  # logged, masked
    data = services.settings.data_dir
    needles = [secret.encode(), b"from-carol", b"ref=mail"]
    assert "logs/imgharvest.log" not in files_holding(data, needles)

    clock.advance(LINK_TTL + RECORD_TTL + 1)
    services.tasks.housekeeping()
    services.tasks.housekeeping()
    assert httpx.get(f"{base}/api/v1/jobs/{created['id']}", timeout=10).status_code == 404
    assert files_holding(data, needles) == {}
