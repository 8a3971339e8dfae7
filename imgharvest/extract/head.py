"""What elements outside the body's pictures name: ``<meta>`` (og:image, twitter:image,
itemprop), ``<link rel=image_src|preload>``, ``<style>`` blocks and JSON-LD scripts."""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator
from typing import Any

from selectolax.lexbor import LexborNode

from imgharvest.extract.attrs import HTML_SPACE, is_image_path, srcset_found
from imgharvest.extract.css import css_background_urls
from imgharvest.extract.raw import Raw, clean

META_KINDS = {
    "og:image": "og:image",
    "og:image:url": "og:image",
    "og:image:secure_url": "og:image",
    "twitter:image": "twitter:image",
    "twitter:image:src": "twitter:image",
    "image": "itemprop",
}
LD_URL_KEYS = ("image", "contentUrl", "thumbnailUrl")


def _meta_refs(node: LexborNode) -> Iterator[Raw]:
    """``og:image`` (``property=`` or ``name=``), ``twitter:image``, ``itemprop=image``, and any
    other ``<meta>`` whose content is an image file."""
    attrs = node.attributes
    key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or ""
    kind = META_KINDS.get(key.strip().lower())
    content = attrs.get("content")
    if kind is not None and (key != "image" or "itemprop" in attrs):
        yield from _plain(content, kind, None)
    elif content and is_image_path(content) and _absolute(content):
        yield Raw(content.strip(HTML_SPACE), "meta")


def _link_refs(node: LexborNode) -> Iterator[Raw]:
    """``<link rel=image_src>`` and ``<link rel=preload as=image>``."""
    attrs = node.attributes
    rels = (attrs.get("rel") or "").lower().split()
    if "image_src" in rels or "img_src" in rels:
        yield from _plain(attrs.get("href"), "image_src", None)
    elif "preload" in rels and (attrs.get("as") or "").lower() == "image":
        slot = node.mem_id
        for found in srcset_found(attrs.get("imagesrcset") or ""):
            yield Raw(found.url, "link", found.width, slot=slot, density=found.density, hint=True)
        href = (attrs.get("href") or "").strip(HTML_SPACE)
        if href:
            yield Raw(href, "link", slot=slot, tier=0.5, hint=True)


def _style_block_refs(node: LexborNode) -> Iterator[Raw]:
    for value in css_background_urls(node.text(deep=True)):
        yield Raw(value, "background")


def _script_refs(node: LexborNode) -> Iterator[Raw]:
    """JSON-LD blocks: ``image``, ``contentUrl``, ``thumbnailUrl`` anywhere, incl. ``@graph``."""
    if (node.attributes.get("type") or "").strip().lower() != "application/ld+json":
        return
    try:
        data = json.loads(node.text(deep=True))
    except ValueError:
        return
    yield from _ld_walk(data)


HANDLERS = {
    "meta": _meta_refs,
    "link": _link_refs,
    "style": _style_block_refs,
    "script": _script_refs,
}


def _plain(
    value: str | None, kind: str, alt: str | None, slot: Hashable | None = None
) -> Iterator[Raw]:
    if value and value.strip(HTML_SPACE):
        yield Raw(value, kind, alt=alt, slot=slot)


def _absolute(value: str) -> bool:
    """Metadata names pages by absolute URL; a bare word or file name there is not a link."""
    return value.strip(HTML_SPACE).lower().startswith(("http://", "https://", "//"))


# -- JSON-LD ------------------------------------------------------------------------


def _ld_walk(node: Any) -> Iterator[Raw]:
    """Image URLs anywhere in a JSON-LD document (``@graph``, nesting, ``ImageObject``)."""
    if isinstance(node, list):
        for item in node:
            yield from _ld_walk(item)
    elif isinstance(node, dict):
        if _ld_is_image_object(node):
            yield from _ld_image(node.get("url"), node)
        for key, value in node.items():
            if key in LD_URL_KEYS:
                yield from _ld_image(value, node)
            elif isinstance(value, dict | list):
                yield from _ld_walk(value)


def _ld_image(value: Any, owner: dict[str, Any]) -> Iterator[Raw]:
    """An ``image``-like value: a URL string, a list of them, or an ``ImageObject``."""
    if isinstance(value, str):
        yield Raw(
            value, "json-ld", _ld_int(owner, "width"), _ld_int(owner, "height"), _ld_alt(owner)
        )
    elif isinstance(value, list):
        for item in value:
            yield from _ld_image(item, owner)
    elif isinstance(value, dict):
        if not _ld_is_image_object(value):
            yield from _ld_image(value.get("url"), value)
        yield from _ld_walk(value)


def _ld_is_image_object(node: dict[str, Any]) -> bool:
    kind = node.get("@type")
    return kind == "ImageObject" or (isinstance(kind, list) and "ImageObject" in kind)


def _ld_int(node: dict[str, Any], key: str) -> int | None:
    if not _ld_is_image_object(node):
        return None
    value = node.get(key)
    if isinstance(value, dict):
        value = value.get("value")
    try:
        return int(str(value).removesuffix("px")) if value is not None else None
    except ValueError:
        return None


def _ld_alt(node: dict[str, Any]) -> str | None:
    for key in ("caption", "name", "description"):
        if isinstance(node.get(key), str):
            return clean(node[key])
    return None
