"""The local fake internet: search endpoints, image hosts and pages on 127.0.0.1."""

from tests.fakeweb.server import FakeWeb

__all__ = ["FakeWeb"]
