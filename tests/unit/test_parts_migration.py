"""Migration 0008_parts_and_shards: job parts, the exact-duplicate index, the new columns."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from imgharvest.store.db import alembic_config, make_engine, upgrade
from imgharvest.store.models import Job, JobImage, JobPart


def columns(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_upgrade_matches_the_models_and_downgrade_undoes_it(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    for model in (Job, JobImage, JobPart):
        assert columns(url, model.__tablename__) == set(model.__table__.columns.keys())
    command.downgrade(alembic_config(url), "0007_copy_of")
    assert not {"part", "extra"} & columns(url, "job_images")
    assert not {"shards_total", "shards_done", "thumbs_key"} & columns(url, "jobs")
    engine = make_engine(url)
    assert not {"job_parts", "job_hashes"} & set(inspect(engine).get_table_names())
    engine.dispose()
