"""Where the local ``serve`` answers, for the ``jobs`` commands run beside it: ``serve`` notes
its PUBLIC_URL in ``<DATA_DIR>/served_url``, so the links ``jobs inspect`` prints carry the
port ``serve`` was given (``--port 8020``) unless PUBLIC_URL is set; and ``jobs`` refuses to
create an empty database where there is none (run from another folder, say)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from imgharvest.errors import ConfigError
from imgharvest.settings import Settings
from imgharvest.store.faults import sqlite_file

NOTE = "served_url"
MAX_URL = 2048


def remember(settings: Settings) -> None:
    """Note where this ``serve`` answers (best effort: a read-only folder only loses this)."""
    with contextlib.suppress(OSError):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        (settings.data_dir / NOTE).write_text(settings.public_url + "\n", encoding="utf-8")


def public_url(settings: Settings) -> str | None:
    """The URL the local ``serve`` noted, when PUBLIC_URL was not given."""
    if "public_url" not in settings.derived:
        return None
    try:
        text = (settings.data_dir / NOTE).read_text(encoding="utf-8")[:MAX_URL].strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if text.startswith(("http://", "https://")) and text.isprintable() else None


def require_database(settings: Settings) -> None:
    """A SQLite database must already exist: a ``jobs`` command never creates one."""
    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        where = Path(path).absolute()
        raise ConfigError(
            f"no database at {where}: run this where serve runs, or set IMGHARVEST_DATA_DIR "
            "or IMGHARVEST_DATABASE_URL"
        )
