"""Issue 18: thumbnails made once, packed beside the archive: a gallery page's 100 tiles cost
one read of the pack (the store's reads are counted), for a search job and for a URL-list
job's shards; tiles are small JPEGs in the archive's order."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from imgharvest.dataset.thumbpack import THUMB_BOX, read_pack
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.integration.test_fetch_jobs import finished, listed, submit
from tests.waiting import wait_for


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every object the local store opens (the real store, its reads noted)."""
    from imgharvest.store.storage.local import LocalStore

    opened: list[str] = []
    real = LocalStore.open

    def noting(self: LocalStore, key: str) -> Any:
        opened.append(key)
        return real(self, key)

    monkeypatch.setattr(LocalStore, "open", noting)
    return opened


def tiles(base: str, job_id: str, positions: range) -> list[bytes]:
    with httpx.Client(timeout=30) as client:
        got = [client.get(f"{base}/jobs/{job_id}/thumbs/{p}") for p in positions]
    assert all(g.status_code == 200 and g.headers["content-type"] == "image/jpeg" for g in got)
    return [g.content for g in got]


def test_a_search_jobs_gallery_page_is_one_read_of_its_pack(
    run_service: Any, fakeweb: FakeWeb, reads: list[str]
) -> None:
    fakeweb.add_catalog("packed pika", cat.good(130, start=82_000, prefix="pk"))
    services = run_service(sources=["bing"])
    base = services.settings.public_url
    job = httpx.post(f"{base}/api/v1/jobs/search", json={"query": "packed pika", "count": 120})
    body = wait_for(lambda: finished(base, job.json()["id"]), timeout=120)
    assert body["status"] == "done"
    key = f"{body['id']}/1/thumbs.bin"
    with services.store.open(key) as pack:  # type: ignore[union-attr]
        assert len(read_pack(pack, 0, 1000)) == 120
    reads.clear()
    first = tiles(base, body["id"], range(100))
    assert reads == [key]  # the first page of 100 tiles: one read of the pack
    assert len(tiles(base, body["id"], range(100, 120))) == 20 and reads == [key, key]
    for data in first[:3]:
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == "JPEG" and max(img.size) <= max(THUMB_BOX)
    page = httpx.get(f"{base}/jobs/{body['id']}?page=2", timeout=30).text
    assert f"/jobs/{body['id']}/thumbs/119" in page


def test_a_url_list_jobs_shards_have_packs_and_tiles(
    run_service: Any, fakeweb: FakeWeb, reads: list[str]
) -> None:
    items = cat.good(30, start=83_000, prefix="pl")
    fakeweb.add_catalog("packed list", items)
    services = run_service()
    base = services.settings.public_url
    job = submit(base, listed(fakeweb, items).encode(), format="webdataset", shard_size="12")
    body = wait_for(lambda: finished(base, job.json()["id"]), timeout=120)
    assert body["status"] == "done" and body["kept"] == 30
    reads.clear()
    assert len(tiles(base, body["id"], range(30))) == 30
    assert len(reads) == 3 and all(r.endswith(".thumbs") for r in reads)  # a pack a shard
    page = httpx.get(f"{base}/jobs/{body['id']}", timeout=30).text
    assert f"/jobs/{body['id']}/thumbs/29" in page  # samples in tar shards have tiles too
    image = httpx.get(f"{base}/jobs/{body['id']}/images/13", timeout=30)
    assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"  # read from its shard
