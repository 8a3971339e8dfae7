"""The fetcher's small-file writes in worker threads: a download cancelled while its write
fails (a full disk) waits for the write and leaves no exception unretrieved."""

from __future__ import annotations

import asyncio
import errno
import gc
import threading
from pathlib import Path
from typing import Any

import pytest

from imgharvest.pipeline import fetch
from imgharvest.pipeline.fetch import Fetcher


async def test_a_cancelled_download_whose_write_fails_loses_no_exception(
    make_settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    started, release = threading.Event(), threading.Event()

    def full_disk(dest: Path, chunks: list[bytes]) -> str:
        started.set()
        release.wait(5)
        raise OSError(errno.ENOSPC, "No space left on device", str(dest))

    monkeypatch.setattr(fetch, "_write_chunks", full_disk)
    async with Fetcher(make_settings()) as http:
        writing = asyncio.ensure_future(http._write_file(tmp_path / "x", [b"data"]))
        await asyncio.to_thread(started.wait, 5)
        writing.cancel()
        await asyncio.sleep(0.05)
        assert not writing.done(), "the cancel waits for the write in its thread"
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await writing
    gc.collect()
    assert "never retrieved" not in caplog.text
