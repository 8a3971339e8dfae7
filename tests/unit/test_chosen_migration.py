"""Migration 0005_chosen_copy: the ``chosen`` column of job images, up and down."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from imgharvest.store.db import alembic_config, make_engine, upgrade


def columns(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("job_images")}
    finally:
        engine.dispose()


def test_upgrade_adds_chosen_and_downgrade_removes_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    assert "chosen" in columns(url)
    command.downgrade(alembic_config(url), "0004_dataset_fields")
    assert "chosen" not in columns(url) and "split" in columns(url)
