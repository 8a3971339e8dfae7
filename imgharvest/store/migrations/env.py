"""Alembic environment: runs on the connection ``imgharvest.store.db.upgrade`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from imgharvest.store.db import normalize_url
from imgharvest.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the given connection, or open one from the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(normalize_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
