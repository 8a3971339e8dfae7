"""Contract for every registered source: unique name, an example, no network at creation."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from imgharvest.errors import ConfigError
from imgharvest.events import EventList
from imgharvest.net.http import HttpResponse
from imgharvest.settings import Settings
from imgharvest.sources import MODULES, get_source, load_all
from imgharvest.sources.base import REGISTRY, Source


class ForbiddenHttp:
    """An ``Http`` that fails the test if anything calls it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def get(self, url: str, **kwargs: Any) -> HttpResponse:
        self.calls.append(url)
        raise AssertionError(f"creating a source must not touch the network ({url})")


def test_every_module_registers_a_source_under_its_own_name() -> None:
    assert set(load_all()) == set(MODULES)
    assert all(REGISTRY[name].name == name for name in MODULES)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_source_contract(name: str) -> None:
    cls = load_all()[name]
    assert issubclass(cls, Source)
    assert isinstance(cls.example, str) and cls.example.strip()
    if cls.key_setting is not None:
        assert cls.key_setting in Settings.model_fields
    http = ForbiddenHttp()
    source = cls(Settings(_env_file=None), http, EventList())
    assert source.name == name
    assert http.calls == []


def test_every_concrete_source_class_is_registered_under_a_unique_name() -> None:
    load_all()
    classes = [c for c in _subclasses(Source) if c.__module__.startswith("imgharvest.sources.")]
    concrete = [c for c in classes if not inspect.isabstract(c)]
    names = [c.name for c in concrete]
    assert len(names) == len(set(names)), f"duplicate source names: {sorted(names)}"
    assert all(REGISTRY[c.name] is c for c in concrete)


def _subclasses(cls: type[Source]) -> list[type[Source]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_unknown_source_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown source 'nope'"):
        get_source("nope")
