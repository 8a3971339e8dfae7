"""The queue from QUEUE_URL: SQLite by default, Redis and PostgreSQL to scale out."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from huey import PostgresHuey, RedisHuey, SqliteHuey

from imgharvest.errors import ConfigError
from imgharvest.store.queue import make_huey


def roundtrip(huey: object) -> list[str]:
    """Enqueue one task and run what the queue hands back."""
    seen: list[str] = []

    @huey.task()  # type: ignore[attr-defined]
    def note(text: str) -> None:
        seen.append(text)

    note("hello")
    task = huey.dequeue()  # type: ignore[attr-defined]
    huey.execute(task)  # type: ignore[attr-defined]
    return seen


def test_sqlite_queue_creates_its_folder_and_runs_tasks(tmp_path: Path) -> None:
    huey = make_huey(f"sqlite:///{tmp_path / 'q' / 'queue.db'}")
    assert isinstance(huey, SqliteHuey) and (tmp_path / "q").is_dir()
    assert roundtrip(huey) == ["hello"]


def test_sqlite_queue_syncs_like_the_job_database(tmp_path: Path) -> None:
    huey = make_huey(f"sqlite:///{tmp_path / 'queue.db'}")
    conn = huey.storage.conn
    assert conn.execute("pragma journal_mode").fetchone() == ("wal",)
    assert conn.execute("pragma synchronous").fetchone() == (1,)  # NORMAL, not FULL (2)


def test_unknown_queue_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="QUEUE_URL"):
        make_huey("amqp://localhost")


@pytest.mark.services
def test_redis_queue_runs_tasks() -> None:
    huey = make_huey("redis://127.0.0.1:6379/15", name=f"t{uuid.uuid4().hex[:8]}")
    assert isinstance(huey, RedisHuey)
    try:
        assert roundtrip(huey) == ["hello"]
    finally:
        huey.flush()


@pytest.mark.services
def test_postgresql_queue_runs_tasks() -> None:
    huey = make_huey(
        "postgresql://postgres@127.0.0.1:5432/postgres", name=f"t{uuid.uuid4().hex[:8]}"
    )
    assert isinstance(huey, PostgresHuey)
    try:
        assert roundtrip(huey) == ["hello"]
    finally:
        huey.flush()
        huey.storage.close()
