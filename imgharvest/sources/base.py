"""Sources: the ``Candidate`` they yield, the ``Source`` base class and the registry."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from imgharvest.net.http import Http

if TYPE_CHECKING:
    from imgharvest.events import EventSink
    from imgharvest.settings import Settings


@dataclass(frozen=True, slots=True)
class Candidate:
    """One image a source offers: the full-size URL and what is known about it."""

    url: str
    source: str
    page_url: str | None = None
    title: str | None = None
    width: int | None = None
    height: int | None = None
    licence: str | None = None
    licence_url: str | None = None
    creator: str | None = None
    thumbnail_url: str | None = None
    fallbacks: tuple[str, ...] = ()  # other copies of the same picture, largest first
    caption: str | None = None
    rank: int | None = None
    chosen: str = ""  # why ``url`` is taken as the largest of the copies ("" for one copy)
    unsized: bool = False  # no size told the copies apart: the pipeline measures them


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """Per-request knobs a source may use; every field has a safe default."""

    safe_search: bool = True
    min_width: int = 0
    min_height: int = 0
    depth: int = 0
    max_pages: int = 50
    respect_robots: bool = True
    render: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    licence: str = "any"


class Source(abc.ABC):
    """Turns a query into an async stream of candidates, page after page.

    Creating a source touches no network. ``candidates`` raises a
    ``SourceError`` subclass when the source is blocked or its layout changed,
    never silently yields nothing for a query that should have results.
    """

    name: ClassVar[str]
    example: ClassVar[str]
    key_setting: ClassVar[str | None] = None
    # Whether the source falls back to the browser (reported by ``imgharvest sources``).
    browser_fallback: ClassVar[bool] = False

    def __init__(
        self,
        settings: Settings,
        http: Http,
        events: EventSink,
        options: SourceOptions | None = None,
    ) -> None:
        self.settings = settings
        self.http = http
        self.events = events
        self.options = options or SourceOptions()

    @classmethod
    def unavailable(cls, settings: Settings) -> str | None:
        """Why this source cannot run with these settings, or None if it can."""
        if cls.key_setting and not getattr(settings, cls.key_setting, None):
            return f"needs IMGHARVEST_{cls.key_setting.upper()}"
        return None

    @abc.abstractmethod
    def candidates(self, query: str) -> AsyncIterator[Candidate]:
        """Yield candidates for ``query`` until the source has no more."""


REGISTRY: dict[str, type[Source]] = {}


def register(cls: type[Source]) -> type[Source]:
    """Class decorator: make a source available by its ``name``."""
    REGISTRY[cls.name] = cls
    return cls
