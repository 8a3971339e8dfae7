"""Migration 0005_chosen_copy: the ``chosen`` column of job images, up and down."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from imgharvest.store.db import alembic_config
from tests.schema import columns, upgraded


def test_upgrade_adds_chosen_and_downgrade_removes_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    upgraded(url)
    assert "chosen" in columns(url)
    command.downgrade(alembic_config(url), "0004_dataset_fields")
    assert "chosen" not in columns(url) and "split" in columns(url)
