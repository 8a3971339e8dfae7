"""Migration 0004_dataset_fields: the dataset columns of job images, up and down."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from imgharvest.store.db import alembic_config
from imgharvest.store.models import JobImage
from tests.schema import columns, upgraded

NEW = {"query", "rank", "caption", "fetched_at", "label", "split"}


def test_upgrade_adds_the_model_columns_and_downgrade_removes_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    upgraded(url)
    assert columns(url) == set(JobImage.__table__.columns.keys()) and columns(url) >= NEW
    command.downgrade(alembic_config(url), "0003_scaleout")
    assert not NEW & columns(url)
