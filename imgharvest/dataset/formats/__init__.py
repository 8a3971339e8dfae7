"""Dataset output formats, one module each; ``MODULES`` is the single registration list.

A writer takes a ``Dataset`` and a destination (a ``.zip`` file for ``zip``, a
directory otherwise) and returns what it wrote. Every format carries
``manifest.csv`` and ``dataset.json``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from imgharvest.dataset.samples import Dataset
from imgharvest.errors import ConfigError

MODULES = ("zip", "dir", "imagefolder", "webdataset", "parquet")

Writer = Callable[[Dataset, Path], Path]
REGISTRY: dict[str, Writer] = {}


def register(name: str) -> Callable[[Writer], Writer]:
    """Decorator: make a writer available as ``--format name``."""

    def add(writer: Writer) -> Writer:
        REGISTRY[name] = writer
        return writer

    return add


def load_all() -> dict[str, Writer]:
    """Import every format module so the registry is complete."""
    for name in MODULES:
        importlib.import_module(f"imgharvest.dataset.formats.{name}")
    return REGISTRY


def get_writer(name: str) -> Writer:
    """The writer registered as ``name``; unknown names are a config error."""
    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown format {name!r} (known: {', '.join(MODULES)})") from None
