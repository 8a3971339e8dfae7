"""The script's fast exit after a harvest command: same code, outputs flushed, atexit run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from imgharvest.cli import exit as cli_exit
from imgharvest.cli.options import reset, state

SCRIPT = textwrap.dedent(
    """
    import atexit, sys, threading
    from imgharvest.cli import exit as cli_exit
    from imgharvest.cli.options import state

    atexit.register(lambda: print("atexit ran", flush=True))
    sys.stdout.write("no newline yet")
    sys.stderr.write("on stderr")
    state.ends_fast = {fast}
    # a thread that never ends: only a fast exit leaves without joining it
    if {fast} and {code} != 'bad thing':
        threading.Thread(target=threading.Event().wait).start()
    cli_exit.leave(SystemExit({code}))
    """
)


def _run(fast: bool, code: object) -> subprocess.CompletedProcess[str]:
    script = SCRIPT.format(fast=fast, code=repr(code))
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


@pytest.mark.parametrize("code", [0, 3, 130, None])
def test_fast_exit_keeps_the_code_and_flushes_everything(code: int | None) -> None:
    """It also skips joining threads (interpreter teardown): the script would hang otherwise."""
    done = _run(True, code)
    assert done.returncode == (code or 0)
    assert done.stdout == "no newline yetatexit ran\n"
    assert done.stderr == "on stderr"


def test_a_text_exit_goes_the_ordinary_way() -> None:
    done = _run(True, "bad thing")
    assert done.returncode == 1
    assert "bad thing" in done.stderr


def test_without_a_harvest_command_the_exit_is_raised_again() -> None:
    reset(None, False, 0)
    assert state.ends_fast is False
    with pytest.raises(SystemExit) as raised:
        cli_exit.leave(SystemExit(3))
    assert raised.value.code == 3
    assert _run(False, 3).returncode == 3
