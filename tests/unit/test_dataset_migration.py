"""Migration 0004_dataset_fields: the dataset columns of job images, up and down."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from imgharvest.store.db import make_engine, upgrade
from imgharvest.store.models import JobImage

NEW = {"query", "rank", "caption", "fetched_at", "label", "split"}


def test_upgrade_adds_the_model_columns_and_downgrade_removes_them(tmp_path: Path) -> None:
    from alembic import command

    from imgharvest.store.db import alembic_config

    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    engine = make_engine(url)
    upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("job_images")}
    assert columns == set(JobImage.__table__.columns.keys()) and columns >= NEW
    command.downgrade(alembic_config(url), "0003_scaleout")
    engine.dispose()
    engine = make_engine(url)
    assert not NEW & {c["name"] for c in inspect(engine).get_columns("job_images")}
    engine.dispose()
