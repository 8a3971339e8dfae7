"""Database URLs, SQLite pragmas and migrations (SQLite always, PostgreSQL when it runs)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from imgharvest.errors import ConfigError
from imgharvest.store.db import make_engine, normalize_url, upgrade

TABLES = {"alembic_version", "compat_jobs", "emails", "job_events", "job_images", "jobs"}
TABLES |= {"leases", "workers", "fleet_settings"}  # scale-out (issue 9)
TABLES |= {"job_parts", "job_hashes"}  # jobs in parts (issue 18)
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def test_postgresql_urls_use_psycopg3_and_unknown_schemes_are_refused() -> None:
    assert normalize_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"
    with pytest.raises(ConfigError):
        normalize_url("mysql://h/db")


def test_sqlite_gets_wal_and_busy_timeout_and_its_folder(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'jobs.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    assert (tmp_path / "new" / "jobs.db").exists()
    engine.dispose()


def test_migrations_create_the_schema_and_are_idempotent(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    upgrade(engine)
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == TABLES
    uniques = inspect(engine).get_unique_constraints("emails")
    assert {"job_id", "kind"} == set(uniques[0]["column_names"])
    engine.dispose()


@pytest.mark.services
def test_migrations_on_postgresql() -> None:
    name = f"imgharvest_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    try:
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()
