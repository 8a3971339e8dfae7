"""Issue 7 units: file stems for any script, resumed folders, umask, robots refusals, the
lines ``serve`` starts with, and the TOML config file's priority."""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

import pytest

from imgharvest.cli.startup import where_lines, without_secrets
from imgharvest.errors import ConfigError, FetchError
from imgharvest.naming import file_stem
from imgharvest.net.robots import DISALLOWED, RobotsCache, Unreachable
from imgharvest.pipeline.package import append_dir, write_dir, write_zip
from imgharvest.pipeline.records import ImageRecord
from imgharvest.settings import load_settings
from tests.unit.test_package import _record
from tests.unit.test_robots import CannedHttp

UA = "imgharvest/0.1 (+https://example.org)"


@pytest.mark.parametrize(
    ("query", "stem"),
    [("red cats", "red-cats"), ("кошки", "кошки"), ("猫 と 犬", "猫-と-犬"), ("../../x", "x"),
     ("Ελληνικές γάτες", "ελληνικές-γάτες"), ("बिल्ली", "बिल्ली"), ("?!", "images")],
)  # fmt: skip
def test_file_stem_keeps_any_script_and_no_path(query: str, stem: str) -> None:
    assert file_stem(query) == stem
    assert "/" not in stem and not stem.startswith(".")


def test_different_scripts_never_share_a_stem() -> None:
    queries = ["кошки", "собаки", "猫", "犬", "고양이", "قطط", "חתולים", "แมว"]
    assert len({file_stem(q) for q in queries}) == len(queries)


def _records(tmp_path: Path, seeds: range) -> list[ImageRecord]:
    return [_record(tmp_path, s) for s in seeds]


def test_append_dir_numbers_on_and_keeps_earlier_rows(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_dir(_records(tmp_path, range(1, 4)), out, slug="cats")
    with (out / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        before = list(csv.DictReader(fh))
    append_dir(_records(tmp_path, range(4, 6)), out, slug="cats", prior=before)
    with (out / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[:3] == before
    assert [r["file"] for r in rows[3:]] == ["images/0004_cats.jpg", "images/0005_cats.jpg"]
    for row in rows:
        assert hashlib.sha256((out / row["file"]).read_bytes()).hexdigest() == row["sha256"]


def test_outputs_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        zipped = write_zip(_records(tmp_path, range(1, 3)), tmp_path / "a.zip", slug="a")
        folder = write_dir(_records(tmp_path, range(3, 5)), tmp_path / "d", slug="d")
    finally:
        os.umask(old)
    assert zipped.stat().st_mode & 0o777 == 0o640
    assert (folder / "manifest.csv").stat().st_mode & 0o777 == 0o640


async def test_unreachable_robots_txt_is_not_blamed_on_robots() -> None:
    http = CannedHttp({
        "https://down.example/robots.txt": FetchError("https://down.example/robots.txt",
                                                      "connection"),
        "https://ok.example/robots.txt": (200, "User-agent: *\nDisallow: /no/"),
    })  # fmt: skip
    robots = RobotsCache(http, UA)
    why = await robots.refusal("https://down.example/a.html")
    assert isinstance(why, Unreachable) and why == "connection"
    assert await robots.refusal("https://ok.example/no/a.html") == DISALLOWED
    assert await robots.refusal("https://ok.example/yes.html") is None


def test_where_lines_name_data_archives_and_mail_without_passwords(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, smtp_url="smtp://ann:s3cret@mail.test:25")
    text = "\n".join(where_lines(settings))
    assert str(tmp_path) in text and "archives: file://" in text
    assert "mail: sent through smtp://ann:***@mail.test:25" in text and "s3cret" not in text
    assert "outbox" in "\n".join(where_lines(load_settings(data_dir=tmp_path)))
    assert without_secrets("postgresql://u:pw@db:5432/x") == "postgresql://u:***@db:5432/x"


def test_config_file_sits_under_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.toml"
    config.write_text('WORKERS = 7\nmail_from = "file@example.org"\n', encoding="utf-8")
    monkeypatch.setenv("IMGHARVEST_WORKERS", "3")
    settings = load_settings(config)
    assert (settings.workers, settings.mail_from) == (3, "file@example.org")
    config.write_text("WORKERS = 'many'\n", encoding="utf-8")
    monkeypatch.delenv("IMGHARVEST_WORKERS")
    with pytest.raises(ConfigError, match="workers"):
        load_settings(config)
    config.write_text("WORKERS = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.toml"):
        load_settings(config)
