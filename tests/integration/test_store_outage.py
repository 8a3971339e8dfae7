"""Issue 18: an S3 that refuses connections (moto behind a loopback proxy that is cut): uploads
are retried for the window and then kept locally, reads answer ``StoreUnavailable``, and the
web app answers 503 with a short message, never a 500."""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from imgharvest.errors import StoreUnavailable
from imgharvest.store.storage import from_url
from imgharvest.store.storage.patience import put_retrying
from tests.fakeweb import catalog as cat
from tests.services import MotoS3, TcpProxy
from tests.waiting import wait_for

pytestmark = pytest.mark.services


@pytest.fixture
def s3_proxy(moto_s3: MotoS3) -> Any:
    proxy = TcpProxy(moto_s3.port)
    proxy.start()
    yield proxy
    proxy.stop()


def store_via(proxy: TcpProxy, moto_s3: MotoS3) -> Any:
    return from_url(f"s3://{moto_s3.bucket}/a", f"http://127.0.0.1:{proxy.port}")


def small_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.csv", "file\n")
        zf.writestr("images/0001_x.jpg", b"\xff\xd8" + b"x" * 100)
    return path


def test_an_upload_waits_out_an_outage_shorter_than_its_window(
    moto_s3: MotoS3, s3_proxy: TcpProxy, aws_env: dict[str, str], tmp_path: Path
) -> None:
    store = store_via(s3_proxy, moto_s3)
    s3_proxy.cut()
    threading.Timer(4.0, s3_proxy.restore).start()
    heard: list[str] = []
    waited = put_retrying(store, "j/1/a.zip", small_zip(tmp_path / "a.zip"), 60,
                          on_first_failure=lambda e: heard.append(str(e)))  # fmt: skip
    assert waited >= 3.5 and len(heard) == 1 and "storing j/1/a.zip" in heard[0]
    assert moto_s3.object_keys() == ["a/j/1/a.zip"] and not (tmp_path / "a.zip").exists()


def test_an_outage_longer_than_the_window_gives_up_and_keeps_the_file(
    moto_s3: MotoS3, s3_proxy: TcpProxy, aws_env: dict[str, str], tmp_path: Path
) -> None:
    store = store_via(s3_proxy, moto_s3)
    s3_proxy.cut()
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match=r"storing j/1/b\.zip"):
        put_retrying(store, "j/1/b.zip", small_zip(tmp_path / "b.zip"), 3)
    assert time.monotonic() - started < 15
    assert (tmp_path / "b.zip").exists()  # nothing lost: the caller still has it
    with pytest.raises(StoreUnavailable, match="reading"):
        store.open("j/1/b.zip")
    s3_proxy.restore()
    assert store.open("j/1/b.zip") is None  # reachable again: simply not there


def test_thumbnails_and_images_answer_503_while_the_store_is_away(
    run_service: Any, moto_s3: MotoS3, s3_proxy: TcpProxy, aws_env: dict[str, str],
    fakeweb: Any, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    fakeweb.add_catalog("outage otter", cat.good(4, start=71_000, prefix="oo"))
    url = f"http://127.0.0.1:{s3_proxy.port}"
    services = run_service(storage_url=f"s3://{moto_s3.bucket}/a", s3_endpoint_url=url,
                           sources=["bing"])  # fmt: skip
    base = services.settings.public_url
    job = httpx.post(f"{base}/api/v1/jobs/search", json={"query": "outage otter", "count": 3})
    job_id = job.json()["id"]
    wait_for(lambda: httpx.get(f"{base}/api/v1/jobs/{job_id}").json()["status"] == "done", 60)
    s3_proxy.cut()  # before any thumbnail was read: nothing of the job is cached
    for path in ("thumbs/0", "thumbs/1", "images/0", "images/2"):
        got = httpx.get(f"{base}/jobs/{job_id}/{path}", timeout=30)
        assert got.status_code == 503, (path, got.text)
        assert "store cannot be reached" in got.text and got.headers["retry-after"] == "30"
    page = httpx.get(f"{base}/jobs/{job_id}/thumbs/0", headers={"accept": "text/html"})
    assert page.status_code == 503 and "<html" in page.text.lower()
    lines = [r for r in caplog.records if "archive store unavailable" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None  # one line, no traceback
    assert not [r for r in caplog.records if r.exc_info]
    s3_proxy.restore()
    assert httpx.get(f"{base}/jobs/{job_id}/thumbs/1").status_code == 200
    s3_proxy.cut()  # a page read once is kept: its tiles are shown while the store is away
    assert httpx.get(f"{base}/jobs/{job_id}/thumbs/2").status_code == 200
    assert httpx.get(f"{base}/jobs/{job_id}/images/2").status_code == 503


def test_a_job_whose_archive_the_store_never_took_runs_again_instead_of_failing(
    run_service: Any, moto_s3: MotoS3, s3_proxy: TcpProxy, aws_env: dict[str, str], fakeweb: Any
) -> None:
    fakeweb.add_catalog("patient panda", cat.good(4, start=71_100, prefix="pp"))
    url = f"http://127.0.0.1:{s3_proxy.port}"
    services = run_service(storage_url=f"s3://{moto_s3.bucket}/a", s3_endpoint_url=url,
                           sources=["bing"], store_retry_seconds=2)  # fmt: skip
    base = services.settings.public_url
    s3_proxy.cut()
    job_id = httpx.post(f"{base}/api/v1/jobs/search", json={"query": "patient panda", "count": 3},
                        ).json()["id"]  # fmt: skip

    def said(words: str) -> bool:
        body = httpx.get(f"{base}/api/v1/jobs/{job_id}").json()
        return any(words in e["message"] for e in body["events"])

    wait_for(lambda: said("the job runs again at"), 60)
    assert httpx.get(f"{base}/api/v1/jobs/{job_id}").json()["status"] in ("scheduled", "running")
    s3_proxy.restore()
    body = wait_for(lambda: (b := httpx.get(f"{base}/api/v1/jobs/{job_id}").json())["status"]
                    in ("done", "failed") and b, 60)  # fmt: skip
    assert body["status"] == "done" and body["kept"] == 3
    assert [k.split("/")[2] for k in moto_s3.archive_keys()] == ["2"]  # the second attempt's
