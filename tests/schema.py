"""What the migration tests read of a database: its columns and tables, after an upgrade."""

from __future__ import annotations

from sqlalchemy import inspect

from imgharvest.store.db import make_engine, upgrade


def upgraded(url: str) -> None:
    """The database at ``url`` migrated to the newest revision."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def columns(url: str, table: str = "job_images") -> set[str]:
    """The names of ``table``'s columns."""
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    """The names of the database's tables."""
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
