"""A reference as written in the page, before resolution: what the walk and the head
elements yield, and the text clean-up they share."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Raw:
    """A reference as written in the page, before resolution."""

    value: str
    kind: str
    width: int | None = None
    height: int | None = None
    alt: str | None = None
    slot: Hashable | None = None
    density: float = 1.0
    tier: float = 1
    shown: int | None = None
    src_of: int | None = None  # the element whose plain ``src`` this is
    lazy_of: int | None = None  # the ``<img>`` whose loader attribute (``data-*``) this is
    media: int = 0  # the viewport its media query serves (see ``media_rank``)
    hint: bool = False  # named by a preload link: a hint of copies, never the original
    preview: bool = False  # a blurred or tiny stand-in shown until the real copy loads


def clean(value: str | None) -> str | None:
    """Text with its white space folded, or None when nothing is left."""
    text = " ".join((value or "").split())
    return text or None
