"""The TOML config files: the ``IMGHARVEST_*`` names (prefix optional, any case), below the
environment: environment > ``.env`` > the project's file (``--config FILE``, else
``./imgharvest.toml``) > the user's file (``$XDG_CONFIG_HOME/imgharvest/config.toml``, else
``~/.config/imgharvest/config.toml``) > defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from imgharvest.errors import ConfigError

DEFAULT_NAME = "imgharvest.toml"
USER_FILE = Path("imgharvest") / "config.toml"
# The values of the file being loaded, for the settings source below (set by load_settings).
current: ContextVar[dict[str, Any]] = ContextVar("imgharvest_config_file", default={})  # noqa: B039


def find(explicit: Path | None) -> Path | None:
    """The project's file: the one given (it must exist), else ``./imgharvest.toml`` if present."""
    if explicit is not None:
        return explicit
    default = Path(DEFAULT_NAME)
    return default if default.is_file() else None


def user_file() -> Path | None:
    """The user's file, if present: under ``$XDG_CONFIG_HOME`` (when set to an absolute path,
    as the XDG base directory rules say), else under ``~/.config``."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    try:
        root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    except RuntimeError:  # no home folder known: no user file
        return None
    path = root / USER_FILE
    try:
        return path if path.is_file() else None
    except OSError as exc:  # a folder we may not look into: say so rather than guess
        raise ConfigError(f"config file {path}: {exc.strerror or exc}") from None


def values(explicit: Path | None, names: Iterable[str]) -> dict[str, Any]:
    """The settings both files give, the project's file over the user's."""
    known = list(names)
    found: dict[str, Any] = {}
    for path in (user_file(), find(explicit)):
        if path is not None:
            found.update(read(path, known))
    return found


def read(path: Path, names: Iterable[str]) -> dict[str, Any]:
    """Settings from ``path``; an unreadable file or an unknown name is a ``ConfigError``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    known, values = set(names), {}
    for key, value in data.items():
        name = key.lower().removeprefix("imgharvest_")
        if name not in known:
            raise ConfigError(f"config file {path}: unknown setting {key!r}")
        values[name] = value
    return values


class ConfigFileSource(PydanticBaseSettingsSource):
    """The values of the config file being loaded, as a pydantic-settings source."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.values = current.get()

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)
