"""The command line: thin commands over the engine and the job service (``imgharvest``)."""

from __future__ import annotations

from imgharvest.cli.app import main

__all__ = ["main"]
