"""Database engine and sessions from ``DATABASE_URL``, and schema upgrades by Alembic."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from imgharvest.errors import ConfigError

BUSY_TIMEOUT_MS = 30_000
# Any constant both sides agree on: every process takes this lock before migrating.
MIGRATION_LOCK = 7_144_801_923


def normalize_url(url: str) -> str:
    """Pick the driver: ``postgresql://`` means psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("sqlite:", "postgresql+psycopg:")):
        return url
    raise ConfigError(f"DATABASE_URL: unsupported scheme in {url.split(':', 1)[0]!r}")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the web app read while a worker writes; busy_timeout waits out short locks.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows (addresses, queries) are overwritten with zeros, not left in free pages.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``DATABASE_URL`` (creating the SQLite file's folder if needed)."""
    url = normalize_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    _ensure_sqlite_dir(url)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    # Many rows in one INSERT … VALUES (…), (…) (batched under SQLite's parameter limit), not
    # one statement per row: the driver waits for the GIL after every statement, and SQLite's
    # write lock is held meanwhile (a job's 500 image rows held it for 100-400 ms).
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _ensure_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply Alembic migrations up to ``revision`` on this engine."""
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Processes started together on a new database migrate one after the other;
            # the lock is released with this transaction, the others then find nothing to do.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def alembic_config(url: str) -> Any:
    """Alembic's config, located inside the package (no working-directory assumptions)."""
    from alembic.config import Config

    base = resources.files("imgharvest.store")
    config = Config(str(base / "alembic.ini"))
    config.set_main_option("script_location", str(base / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
