"""imgharvest: N verified, full-size, de-duplicated images of a query, with a manifest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imgharvest.version import __version__

if TYPE_CHECKING:
    from imgharvest.extract.page import extract_images

__all__ = ["__version__", "extract_images"]


def __getattr__(name: str) -> Any:
    """``extract_images`` loads on first use, so starting the CLI needs no HTML parser."""
    if name == "extract_images":
        from imgharvest.extract.page import extract_images

        return extract_images
    raise AttributeError(f"module 'imgharvest' has no attribute {name!r}")
