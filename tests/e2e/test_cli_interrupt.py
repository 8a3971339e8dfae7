"""Issue 17 item 9: Ctrl-C while the progress bar runs on a terminal; the message says what was
kept on a line of its own (not glued to the bar). A real process on a pseudo-terminal (the bar
is drawn only on a terminal), sent SIGINT as a terminal's Ctrl-C sends it to its group."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import time
from pathlib import Path

from imgharvest.cli.app import EXIT_INTERRUPTED
from tests.e2e.test_cli_output import check_folder, cli, image_hits
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.task_check import assert_no_lost_task

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def on_a_terminal(
    args: list[str], env: dict[str, str], fw: FakeWeb, prefix: str
) -> tuple[int, bytes]:
    """Run ``args`` on a pseudo-terminal; Ctrl-C once 20 images are fetched."""
    main, child = pty.openpty()
    proc = subprocess.Popen(args, env=env, stdin=child, stdout=child, stderr=child,
                            start_new_session=True)  # fmt: skip
    os.close(child)
    out, sent, deadline = b"", False, time.monotonic() + 60
    while time.monotonic() < deadline:
        if not sent and image_hits(fw, prefix) >= 20:
            os.killpg(proc.pid, signal.SIGINT)
            sent = True
        ready, _, _ = select.select([main], [], [], 0.05)
        if ready:
            try:
                data = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            out += data
    code = proc.wait(timeout=30)
    os.close(main)
    return code, out


def test_ctrl_c_message_is_on_a_line_of_its_own(fakeweb: FakeWeb, tmp_path: Path) -> None:
    fakeweb.add_catalog("pty owls", cat.slow(200, start=640_000, prefix="ptyowl"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGHARVEST_")}
    env.update(IMGHARVEST_BING_URL=fakeweb.url, IMGHARVEST_ALLOWED_NETWORKS="127.0.0.0/8",
               IMGHARVEST_DATA_DIR=str(tmp_path / "data"), IMGHARVEST_FETCH_CONCURRENCY="4",
               COLUMNS="120", TERM="xterm")  # fmt: skip
    out = tmp_path / "owls"
    args = cli("get", "pty owls", "-n", "150", "-s", "bing", "-o", str(out))
    code, screen = on_a_terminal(args, env, fakeweb, "ptyowl")
    assert code == EXIT_INTERRUPTED, screen[-800:]
    assert b"harvesting" in screen and b"img/s" in screen, "the bar was drawn"
    at = screen.find(b"interrupted:")
    assert at > 0, screen[-800:]
    line_start = max(screen.rfind(b"\r", 0, at), screen.rfind(b"\n", 0, at)) + 1
    assert ANSI.sub(b"", screen[line_start:at]) == b"", screen[line_start - 200 : at + 40]
    assert_no_lost_task(screen.decode("utf-8", "replace"))
    assert 0 < len(check_folder(out)) < 150
