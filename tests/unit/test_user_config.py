"""The user's config file at the XDG place (issue 17): environment > .env > the project's file
(./imgharvest.toml or --config) > the user's file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgharvest.errors import ConfigError
from imgharvest.settings import Settings, load_settings


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A project folder (the current one) and the user's XDG config file."""
    project, xdg = tmp_path / "project", tmp_path / "xdg"
    project.mkdir()
    (xdg / "imgharvest").mkdir(parents=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    for name in ("WORKERS", "PORT", "MAIL_FROM", "TIMEZONE", "LINK_TTL_SECONDS"):
        monkeypatch.delenv(f"IMGHARVEST_{name}", raising=False)
    return project, xdg / "imgharvest" / "config.toml"


def test_each_layer_wins_over_the_ones_below(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, user = folders
    user.write_text('workers = 5\nmail_from = "user@example.org"\nport = 8101\n'
                    'TIMEZONE = "Europe/Paris"\n')  # fmt: skip
    (project / "imgharvest.toml").write_text('workers = 6\nmail_from = "p@example.org"\n'
                                             "port = 8102\n")  # fmt: skip
    (project / ".env").write_text("IMGHARVEST_WORKERS=7\nIMGHARVEST_PORT=8103\n")
    monkeypatch.setenv("IMGHARVEST_WORKERS", "8")
    settings = load_settings()
    assert settings.workers == 8  # environment
    assert settings.port == 8103  # .env
    assert settings.mail_from == "p@example.org"  # ./imgharvest.toml
    assert settings.timezone == "Europe/Paris"  # the user's file
    assert settings.link_ttl_seconds == Settings.model_fields["link_ttl_seconds"].default


def test_a_given_config_file_stands_over_the_users(folders: tuple[Path, Path]) -> None:
    project, user = folders
    user.write_text('timezone = "Asia/Tokyo"\nworkers = 2\n')
    (project / "imgharvest.toml").write_text("workers = 9\n")
    given = project / "other.toml"
    given.write_text("workers = 3\n")
    settings = load_settings(given)
    assert (settings.workers, settings.timezone) == (3, "Asia/Tokyo")


def test_without_xdg_config_home_the_home_folder_is_used(
    folders: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".config" / "imgharvest").mkdir(parents=True)
    (home / ".config" / "imgharvest" / "config.toml").write_text("workers = 11\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert load_settings().workers == 11
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/path")  # ignored, as the XDG rules say
    assert load_settings().workers == 11


def test_a_bad_user_file_is_named(folders: tuple[Path, Path]) -> None:
    _, user = folders
    user.write_text("wrokers = 3\n")
    with pytest.raises(ConfigError, match=r"config\.toml: unknown setting 'wrokers'"):
        load_settings()


def test_a_file_where_the_user_folder_should_be_means_no_user_file(
    folders: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder should be")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker / "sub"))
    assert load_settings().workers == Settings.model_fields["workers"].default
