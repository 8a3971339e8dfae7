"""The fake web runs on its own (``python -m tests.fakeweb``), as CI steps outside pytest use it."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_standalone_fake_web_answers_searches_and_stops(tmp_path: Path) -> None:
    port_file = tmp_path / "url"
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakeweb", "--port-file", str(port_file)],
                            cwd=ROOT, stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_for(port_file.exists, timeout=30)
        base = port_file.read_text(encoding="utf-8").strip()
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{base}/images/async?q=cats&first=1", timeout=10) as answer:
            assert answer.status == 200 and b"murl" in answer.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
