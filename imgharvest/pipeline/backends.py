"""Which fetcher downloads images: libcurl when ``pycurl`` imports (a dependency), else aiohttp.

``FETCH_BACKEND`` chooses: ``auto`` (the default), ``curl`` or ``aiohttp``. Pages and
API requests always go through aiohttp; only image downloads change engine.
"""

from __future__ import annotations

import importlib.util

from imgharvest.errors import ConfigError
from imgharvest.events import EventSink
from imgharvest.pipeline.fetch import Fetcher
from imgharvest.settings import Settings


def curl_available() -> bool:
    """Whether ``pycurl`` imports (a dependency, but a platform without its wheel may lack it)."""
    return importlib.util.find_spec("pycurl") is not None


def backend_name(settings: Settings) -> str:
    """The backend ``settings`` select here: ``curl`` or ``aiohttp``."""
    wanted = settings.fetch_backend
    if wanted == "auto":
        return "curl" if curl_available() else "aiohttp"
    if wanted == "curl" and not curl_available():
        raise ConfigError("FETCH_BACKEND=curl needs pycurl: pip install pycurl (it builds "
                          "against the system's libcurl where no wheel exists)")  # fmt: skip
    return wanted


def make_fetcher(settings: Settings, events: EventSink | None = None) -> Fetcher:
    """A fetcher for one job, on the selected backend (enter it with ``async with``)."""
    if backend_name(settings) == "aiohttp":
        return Fetcher(settings, events)
    from imgharvest.pipeline.curl_fetch import CurlFetcher

    return CurlFetcher(settings, events)
