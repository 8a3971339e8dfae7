"""What the command-line tests share: an in-process run, and an environment that points the
named sources at the fake web, lets loopback through and keeps timeouts short."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from imgharvest.cli.app import app


def run_cli(env: dict[str, str], *args: str) -> Any:
    """``imgharvest ARGS`` in this process with ``env``; exceptions are raised, not caught."""
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def fake_web_env(
    tmp_path: Path, web_url: str = "", sources: Iterable[str] = (), **settings: str
) -> dict[str, str]:
    """``IMGHARVEST_*`` for a run against the fake web: each of ``sources`` (``BING``…) at
    ``web_url``, data in ``tmp_path``, loopback allowed, 3 s reads and 6 s in all; ``settings``
    (``total_timeout="10"``) are added or replace these."""
    env = {f"IMGHARVEST_{name}_URL": web_url for name in sources}
    env.update(
        IMGHARVEST_DATA_DIR=str(tmp_path / "data"),
        IMGHARVEST_ALLOWED_NETWORKS="127.0.0.0/8",
        IMGHARVEST_READ_TIMEOUT="3",
        IMGHARVEST_TOTAL_TIMEOUT="6",
    )
    env.update({f"IMGHARVEST_{name.upper()}": value for name, value in settings.items()})
    return env
