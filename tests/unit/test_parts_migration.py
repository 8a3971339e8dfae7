"""Migration 0008_parts_and_shards: job parts, the exact-duplicate index, the new columns."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from imgharvest.store.db import alembic_config
from imgharvest.store.models import Job, JobImage, JobPart
from tests.schema import columns, tables, upgraded


def test_upgrade_matches_the_models_and_downgrade_undoes_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    upgraded(url)
    for model in (Job, JobImage, JobPart):
        assert columns(url, model.__tablename__) == set(model.__table__.columns.keys())
    command.downgrade(alembic_config(url), "0007_copy_of")
    assert not {"part", "extra"} & columns(url, "job_images")
    assert not {"shards_total", "shards_done", "thumbs_key"} & columns(url, "jobs")
    assert not {"job_parts", "job_hashes"} & tables(url)
