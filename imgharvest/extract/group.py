"""Copies of one picture grouped (same element, same picture URL) and ranked: largest first."""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass

from imgharvest.extract.attrs import is_image_path, tier
from imgharvest.extract.junk import tiny_copy
from imgharvest.extract.sizes import density, has_size, picture_key, url_size

MAX_FALLBACKS = 4
_STYLE = re.compile(r"/styles/([^/]+)/")
ORIGINAL = 1e9  # a size above any stated one: the unsized original next to sized copies
Sized = tuple[frozenset[str], tuple[str, ...]]  # picture keys and URLs of a group's sized copies


@dataclass(frozen=True, slots=True)
class Copy:
    """One resolved URL of a picture, with what the page says about its size.

    ``slot`` is shared by the copies one element (or ``<picture>``, or one JSON object)
    names; ``tier`` comes from the attribute's name: 0 small/thumb, 1 plain, 2 large/retina,
    3 original/full; ``shown`` is the element's declared width.
    """

    url: str
    kind: str
    width: int | None = None
    height: int | None = None
    alt: str | None = None
    slot: Hashable | None = None
    density: float = 1.0
    tier: float = 1
    shown: int | None = None
    media: int = 0
    hint: bool = False
    preview: bool = False


@dataclass(frozen=True, slots=True)
class Picture:
    """The largest copy of one picture and the others, largest first; ``chosen`` says what
    decided (empty for a single copy); ``unsized`` when no size told the copies apart, so that
    only measuring them can."""

    best: Copy
    fallbacks: tuple[str, ...]
    alt: str | None
    chosen: str = ""
    unsized: bool = False


def pictures(copies: list[Copy]) -> list[Picture]:
    """One ``Picture`` per group of copies, in the order the page first names each."""
    groups = _groups(copies)
    out = []
    for members in groups:
        ranked, sized = _ranked([copies[i] for i in members])
        best = ranked[0]
        rest = [c.url for c in ranked[1:] if not (tiny_copy(c.url) or c.preview)]
        alt = best.alt or next((c.alt for c in ranked if c.alt), None)
        fallbacks = tuple(dict.fromkeys(rest))[:MAX_FALLBACKS]
        chosen, unsized = _why(ranked, sized) if fallbacks else ("", False)
        out.append(Picture(best, fallbacks, alt, chosen, unsized))
    return out


def _why(ranked: list[Copy], sized: Sized) -> tuple[str, bool]:
    """What made the first copy the largest, and whether no size did (then measure)."""
    best, second = ranked[0], ranked[1]
    size = _size(best, sized)
    if best.width:
        return "stated width", False
    if url_size(best.url)[0]:
        return "size in URL", False
    if size >= ORIGINAL and best.tier < 2:
        return "unsized original", False
    if size >= ORIGINAL and size > _size(second, sized):
        return "markup names it large", False
    if size == _size(second, sized) and best.density > second.density:
        return "stated density", False
    return "markup hint", True  # a media query, an attribute or file name, or the order


def _groups(copies: list[Copy]) -> list[list[int]]:
    """Indices joined when they share a slot or a picture key, in first-seen order."""
    parent = list(range(len(copies)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[Hashable, int] = {}
    for index, copy in enumerate(copies):
        for label in (("slot", copy.slot), ("key", picture_key(copy.url))):
            if label[1] is None:
                continue
            other = first.setdefault(label, index)
            parent[find(index)] = find(other)
    members: dict[int, list[int]] = {}
    for index in range(len(copies)):
        members.setdefault(find(index), []).append(index)
    return sorted(members.values(), key=lambda m: m[0])


def _ranked(group: list[Copy]) -> tuple[list[Copy], Sized]:
    """Largest first: stated width, size in the URL, the original, then the viewport its media
    query serves, name and density. A preview ranks last; a preload hint is never the original."""
    renditions = [c.url for c in group if has_size(c.url)]
    sized = (frozenset(picture_key(u) for u in renditions), tuple(renditions))
    order = {id(c): i for i, c in enumerate(group)}
    ranked = sorted(
        group,
        key=lambda c: (
            -_size(c, sized),
            -c.media,
            -c.tier,
            -c.density,
            -_named(c.url),
            order[id(c)],
        ),
    )
    best: dict[str, Copy] = {}
    for copy in ranked:
        best.setdefault(copy.url, copy)
    return list(best.values()), sized


def _size(copy: Copy, sized: Sized) -> float:
    if copy.width:
        return copy.width
    if copy.preview:
        return -1
    hinted = url_size(copy.url)[0]
    if hinted:
        return hinted
    if copy.tier >= 2 or (not copy.hint and _original(copy.url, sized)):
        return ORIGINAL + copy.tier
    return (copy.shown or 0) * copy.density


def _original(url: str, sized: Sized) -> bool:
    """An image file named without a size next to sized copies of it is the original; an
    address without a file extension is one only when the sized copies extend its path (else
    it is more often a template that a script completes)."""
    if has_size(url) or density(url) != 1.0:
        return False
    if is_image_path(url):
        return picture_key(url) in sized[0]
    # an address that sized renditions extend ("ID" next to "ID/scale-to-width-down/1200")
    return any(other.startswith(url.rstrip("/") + "/") for other in sized[1])


def _named(url: str) -> int:
    """What the file name (or a derived style's name) promises: ``logo-large.png`` over
    ``logo-small.png``, ``/styles/story_large/`` over ``/styles/storylist/``."""
    path = url.split("?", 1)[0]
    name = path.rsplit("/", 1)[-1]
    style = _STYLE.search(path)
    return tier(name.rsplit(".", 1)[0] + (" " + style.group(1) if style else ""))
