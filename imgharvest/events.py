"""The event seam: every step of a job is reported through an ``EventSink``."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("imgharvest")


class EventSink(Protocol):
    """Receives one human-readable event line (``level`` is info, warning or error)."""

    def __call__(self, level: str, message: str) -> None: ...


def log_events(prefix: str = "") -> EventSink:
    """An event sink that only writes to stdlib logging."""

    def sink(level: str, message: str) -> None:
        log.log(logging.getLevelName(level.upper()), "%s%s", prefix, message)

    return sink


class EventList:
    """An event sink that keeps events in memory (CLI summaries, tests) and logs them."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self._log = log_events()

    def __call__(self, level: str, message: str) -> None:
        self.events.append((level, message))
        self._log(level, message)

    def messages(self, level: str | None = None) -> list[str]:
        """Messages, optionally only those of one level."""
        return [m for lv, m in self.events if level is None or lv == level]
