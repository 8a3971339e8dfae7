"""Image sources, one module each; ``MODULES`` is the single registration list."""

from __future__ import annotations

import importlib

from imgharvest.errors import ConfigError
from imgharvest.sources.base import REGISTRY, Source

MODULES = (
    "bing",
    "duckduckgo",
    "google",
    "openverse",
    "wikimedia",
    "flickr",
    "pexels",
    "pixabay",
    "unsplash",
    "pages",
)


def load() -> None:
    """Import each source module (each registers itself)."""
    for name in MODULES:
        importlib.import_module(f"imgharvest.sources.{name}")


def load_all() -> dict[str, type[Source]]:
    """Import every source module so the registry is complete."""
    load()
    return REGISTRY


def get_source(name: str) -> type[Source]:
    """The source class registered as ``name``; unknown names are a config error."""
    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ConfigError(f"unknown source {name!r} (known: {known})") from None
