"""``imgharvest.get``: a harvest from Python, on the command line's code path, with no server.

It works where an event loop already runs (a notebook): the harvest then runs on a worker
thread with a loop of its own, and the call waits for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imgharvest.oneshot.get import DEFAULT_COUNT, GetOptions, execute, prepare
from imgharvest.oneshot.result import GetResult, from_outcome
from imgharvest.oneshot.runner import FAILED, INTERRUPTED, Outcome
from imgharvest.pipeline.result import Progress
from imgharvest.settings import Settings, load_settings


def get(
    query: str | None,
    n: int = DEFAULT_COUNT,
    output: str | os.PathLike[str] | None = None,
    *,
    settings: Settings | None = None,
    config: str | os.PathLike[str] | None = None,
    progress: Callable[[Progress], None] | None = None,
    **options: Any,
) -> GetResult:
    """Harvest ``n`` verified, full-size, de-duplicated images of ``query`` into ``output``
    (a ``.zip`` path or a folder; default ``<query>.zip``) and return what was delivered.

    ``options`` are the command line's, by their Python names: ``sources``, ``min_width``,
    ``min_height``, ``formats``, ``overwrite``, ``resume``, ``timeout``, and for datasets
    ``queries`` (a file; ``query`` is then None), ``format``, ``shard_size``, ``max_side``,
    ``min_side``, ``max_aspect``, ``convert``, ``quality``, ``animated``, ``licence``,
    ``split``. Settings come from ``settings``, else as the command line reads them
    (environment, ``.env``, ``config`` or ``./imgharvest.toml``, the user's config file).
    ``progress`` is called with the counts as images are kept.

    A short result is returned (``status == "short"``); a job-level failure raises the
    project's own exceptions (``imgharvest.errors``: ``InputError``, ``OutputError``,
    ``JobError``, ``NoNetwork``...), after writing what was kept so far.
    """
    where = Path(config) if config is not None else None
    chosen = settings if settings is not None else load_settings(where)
    call = _call(query, n, output, options)
    prepared = prepare(GetOptions(query, n, output, command=call, **options))
    finished = execute(prepared, chosen, progress or _ignore)
    if isinstance(finished, Outcome) and finished.status in (INTERRUPTED, FAILED):
        assert finished.error is not None
        raise finished.error
    return from_outcome(finished)


def _ignore(progress: Progress) -> None:
    """No progress display."""


def _call(
    query: str | None, n: int, output: str | os.PathLike[str] | None, options: dict[str, Any]
) -> str:
    """The call as written, for ``dataset.json``'s "command"."""
    given = [repr(query), repr(n)] + ([repr(os.fspath(output))] if output is not None else [])
    given += [f"{key}={value!r}" for key, value in options.items()]
    return f"imgharvest.get({', '.join(given)})"
