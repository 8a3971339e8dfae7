"""What the original crawler listed on a page: every ``<img src>`` ending in .jpg, .png or .gif.

The crawler API promises at least that list (DESIGN §6), whatever the extractor makes of
those images: the ``src`` a ``<picture>`` falls back to, a lazy loader's stand-in, an icon.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from selectolax.lexbor import LexborNode

from imgharvest.extract.attrs import extension

Resolver = Callable[[str, str], str | None]
# The original matched the address's end; its path's end (before a query) is counted too.
ENDINGS = (".jpg", ".jpeg", ".png", ".gif")
EXTENSIONS = frozenset(e.lstrip(".") for e in ENDINGS)


def original_srcs(nodes: Iterable[LexborNode], base: str, resolve: Resolver) -> list[str]:
    """The absolute ``src`` of each ``<img>`` that names a .jpg, .png or .gif, once each, in
    document order (``<noscript>`` content included, as the original's parser read it)."""
    found: dict[str, None] = {}
    for node in nodes:
        if node.tag != "img":
            continue
        value = node.attributes.get("src") or ""
        if not _named_image(value):
            continue
        url = resolve(value, base)
        if url is not None:
            found.setdefault(url, None)
    return list(found)


def _named_image(value: str) -> bool:
    text = value.strip().lower()
    return text.endswith(ENDINGS) or extension(text) in EXTENSIONS
