"""imgharvest: N verified, full-size, de-duplicated images of a query, with a manifest.

The public Python API: ``get`` (a harvest into a zip, a folder or a dataset, as the
command line's ``imgharvest get``) and ``extract_images`` (image references in HTML).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imgharvest.version import __version__

if TYPE_CHECKING:
    from imgharvest.extract.page import extract_images
    from imgharvest.oneshot.api import get
    from imgharvest.oneshot.result import GetResult

__all__ = ["GetResult", "__version__", "extract_images", "get"]


def __getattr__(name: str) -> Any:
    """The API loads on first use, so starting the CLI needs neither the harvest nor an HTML
    parser."""
    if name == "extract_images":
        from imgharvest.extract.page import extract_images

        return extract_images
    if name == "get":
        from imgharvest.oneshot.api import get

        return get
    if name == "GetResult":
        from imgharvest.oneshot.result import GetResult

        return GetResult
    raise AttributeError(f"module 'imgharvest' has no attribute {name!r}")
