"""Short writes: SQLite's write lock held only while the database itself works.

SQLite has one write lock per database file, held from a transaction's first write to its
commit. Between the two, a thread of ours runs Python (and waits for the GIL after every
statement); with jobs running in the same process, that wait can last tens of milliseconds
per statement, and every other writer (a submission) waits for it. So: a single statement
is committed on its own, inside the database call (autocommit: the lock is released before
Python runs again); a transaction of several statements runs on a Core connection, its rows
prepared before it and inserted as one statement, not one statement per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Executable


class Writes:
    """The write paths of one engine: ``one`` statement in autocommit, or a ``transaction``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def one(self, statement: Executable, params: dict[str, Any] | None = None) -> int:
        """Run one write statement committed by itself; the number of rows it changed."""
        with self._autocommit.connect() as conn:
            return int(getattr(conn.execute(statement, params), "rowcount", 0) or 0)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A Core transaction (no ORM unit of work): committed at the end, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn
