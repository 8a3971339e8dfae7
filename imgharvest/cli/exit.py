"""How the ``imgharvest`` script ends: its exit codes, and after a harvest command, without
interpreter teardown.

A harvest command has written and closed its output (files, manifest, ``dataset.json``, the
zip) before it raises its exit code. What normal interpreter shutdown still does then is
free every module and object one by one (a quarter to a third of a second after a
2,000-image run) and join idle worker threads. So the script flushes stdout and stderr,
runs the ``atexit`` handlers (logging's flush, the browser host's close), then leaves with
the same exit code through ``os._exit``. Other commands (``serve``, ``worker``...) and
in-process callers of ``app`` exit the ordinary way.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys

from imgharvest.cli.options import state

# The exit codes the README's table lists.
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_SHORT = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def leave(exc: SystemExit) -> None:
    """End the process with ``exc``'s exit code, fast when a harvest command finished."""
    code = exc.code
    if not state.ends_fast or not (code is None or isinstance(code, int)):
        raise exc
    for stream in (sys.stdout, sys.stderr):
        if not _flushed(stream):
            raise exc  # a closed pipe: let Python report it as it always does
    atexit._run_exitfuncs()
    os._exit(code or 0)


def _flushed(stream: object) -> bool:
    flush = getattr(stream, "flush", None)
    if flush is None:
        return True
    with contextlib.suppress(OSError, ValueError):
        flush()
        return True
    return False
