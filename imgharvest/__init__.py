"""imgharvest: N verified, full-size, de-duplicated images of a query, with a manifest."""

from __future__ import annotations

__version__ = "0.1.0"
