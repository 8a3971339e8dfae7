"""Image sources, one module each; ``MODULES`` is the single registration list."""

from __future__ import annotations

import importlib

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
