"""Fake web routes: pages (filled by its owner)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakeweb.server import FakeWeb


def add_routes(app: web.Application, fw: FakeWeb) -> None:
    """Register this module's routes."""
