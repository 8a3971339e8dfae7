"""The CLI's progress bar (issue 17 item 9): each kept image counted, the rate and the time
left, drawn on a terminal only."""

from __future__ import annotations

import io
import re
import time

import pytest
from rich.console import Console

from imgharvest.cli import report
from imgharvest.pipeline.result import Progress

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_the_bar_counts_each_image_with_rate_and_time_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(report, "err", Console(file=screen, force_terminal=True, width=160))
    with report.progress_bar(10) as bar:
        for kept in range(1, 5):
            bar.update(Progress(wanted=10, tried=kept + 1, kept=kept))
            time.sleep(0.12)  # longer than a refresh (1/20 s)
    text = ANSI.sub("", screen.getvalue())
    for kept in range(1, 5):
        assert f"{kept}/10" in text, text
    assert re.search(r"tried 5 +\d+\.\d img/s eta \d:\d\d:\d\d", text), text


def test_no_bar_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(report, "err", Console(file=screen, force_terminal=False))
    with report.progress_bar(10) as bar:
        bar.update(Progress(wanted=10, tried=1, kept=1))
    assert screen.getvalue() == ""
