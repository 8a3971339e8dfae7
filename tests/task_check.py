"""A check every test passes: no asyncio task ends with an exception that nobody retrieved.

asyncio reports such a task as "Task exception was never retrieved" on its ``asyncio``
logger (uvloop too) when the task is freed. The autouse fixture records that logger during
each test, collects the young garbage at its end so a task freed late is still this
test's (a full collection after every test would double the suite's time: one more at the
end of the session fails the run if it frees a lost task), and reads the output of every
in-process CLI run (``CliRunner.invoke``); tests that run the CLI as a real process pass
its stderr to ``assert_no_lost_task``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

LOST = "never retrieved"


def assert_no_lost_task(text: str) -> None:
    """Fail when ``text`` (a run's output) reports a task exception that nobody retrieved."""
    assert LOST not in text, f"an asyncio task exception was never retrieved:\n{text}"


class _Recorder(logging.Handler):
    """Keeps what asyncio says about lost task exceptions."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lost: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if LOST in message:
            self.lost.append(message)


@pytest.fixture(autouse=True)
def no_lost_task_exception(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if any asyncio task exception was never retrieved while it ran."""
    recorder = _Recorder()
    logger = logging.getLogger("asyncio")
    logger.addHandler(recorder)
    invoke = CliRunner.invoke

    def checked(self: CliRunner, *args: Any, **kwargs: Any) -> Any:
        result = invoke(self, *args, **kwargs)
        assert_no_lost_task(result.output)
        return result

    monkeypatch.setattr(CliRunner, "invoke", checked)
    try:
        yield
        gc.collect(1)  # a task in a reference cycle is freed (and reported) only now
    finally:
        logger.removeHandler(recorder)
    assert recorder.lost == [], recorder.lost


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """One full collection at the end: a lost task freed only now fails the run."""
    recorder = _Recorder()
    logger = logging.getLogger("asyncio")
    logger.addHandler(recorder)
    try:
        gc.collect()
    finally:
        logger.removeHandler(recorder)
    if recorder.lost:
        print("\nasyncio task exceptions never retrieved:", *recorder.lost, sep="\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
