"""Migration 0007_copy_of: the ``copy_of`` column of job images, up and down; rows stored
before it read as pictures of their own (an empty ``copy_of``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from imgharvest.store.db import alembic_config, make_engine, upgrade
from tests.schema import columns


def test_upgrade_adds_copy_of_and_downgrade_removes_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    command.upgrade(alembic_config(url), "0006_owner_nonce")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO jobs (id, kind, status, query, request, wanted, pages_total, pages_done,"
            " run_at, created_at, attempts, tried, kept, rejected) VALUES ('j', 'crawl', 'done',"
            " 'q', '{}', 0, 1, 1, '2026-01-01', '2026-01-01', 1, 0, 1, '{}')"
        ))  # fmt: skip
        conn.execute(text(
            "INSERT INTO job_images (job_id, position, file, url, page_url, source, title, width,"
            " height, format, bytes, sha256, phash, licence, licence_url, creator) VALUES ('j', 0,"
            " '', 'u', '', 'pages', '', 0, 0, '', 0, '', '', '', '', '')"
        ))  # fmt: skip
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT copy_of FROM job_images")).scalar_one() == ""
    engine.dispose()
    command.downgrade(alembic_config(url), "0006_owner_nonce")
    assert "copy_of" not in columns(url) and "chosen" in columns(url)
