"""Link lists: each picture's largest copy, then its other copies marked ``copy_of``, each URL once.

A download takes one copy per picture (the largest; the others are only its fallbacks). A list
of links names every copy the page gave, so that a reader sees which URLs are one picture.
The copies are the picture's ``fallbacks``: at most ``extract.group.MAX_FALLBACKS`` (4) per
picture and no thumbnail-sized preview, so a page cannot multiply the rows by its copies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from imgharvest.sources.base import Candidate


@dataclass(frozen=True, slots=True)
class Link:
    """One listed URL: a picture's own (largest) copy, or another copy of it (``copy_of``
    holds the picture's URL then)."""

    url: str
    picture: Candidate
    copy_of: str = ""


def listed(pictures: Iterable[Candidate], seen: set[str]) -> list[Link]:
    """Each picture's URL, then its other copies, largest first; URLs in ``seen`` (listed
    before) are left out, and the new ones are added to it."""
    out: list[Link] = []
    for picture in pictures:
        for url in (picture.url, *picture.fallbacks):
            if url in seen:
                continue
            seen.add(url)
            out.append(Link(url, picture, "" if url == picture.url else picture.url))
    return out


def pictures_of(links: Iterable[Link]) -> int:
    """How many distinct pictures ``links`` name (a copy counts with its picture)."""
    return len({link.copy_of or link.url for link in links})
