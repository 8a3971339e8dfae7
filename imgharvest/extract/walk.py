"""Elements to raw references: what each element and attribute names, and which copies of
one picture an element ties together (its slot)."""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from imgharvest.extract.attrs import (
    HTML_SPACE,
    Found,
    holds_html,
    is_image_path,
    judge,
    looks_like_image_url,
    srcset_found,
)
from imgharvest.extract.css import css_background_urls
from imgharvest.extract.head import HANDLERS
from imgharvest.extract.junk import (
    PREVIEW_MAX,
    beacon,
    declared_size,
    hidden_or_tiny_element,
    narrow_box,
)
from imgharvest.extract.raw import Raw, clean
from imgharvest.extract.template import filled, is_template

# Attributes that never hold an image URL of their own (prose, layout, scripts, identities).
NOT_URL_ATTRS = frozenset(
    {
        "style", "class", "id", "alt", "title", "type", "rel", "lang", "width", "height",
        "sizes", "media", "name", "value", "target", "role", "for", "charset", "itemprop",
        "itemtype", "itemscope", "property", "dir", "tabindex", "loading", "decoding",
        "crossorigin", "referrerpolicy", "integrity", "action", "method", "cite", "xmlns",
        "srcdoc", "accept", "align", "border", "hspace", "vspace", "download", "ping",
        "hreflang", "usemap", "longdesc", "aria-label", "aria-hidden", "data-caption",
        "data-title", "data-alt", "data-description",
    }
)  # fmt: skip
_MIN_WIDTH = re.compile(r"min-width\s*:\s*(\d{1,5})", re.I)
_MAX_WIDTH = re.compile(r"max-width\s*:\s*(\d{1,5})", re.I)
_BACKGROUND = re.compile(r"(?<![a-z])(?:bg|background)", re.I)
_BLURRED = re.compile(r"(?<![a-z])blur(?:red|ry)?(?![a-z])", re.I)  # not "blurb"
NARROW = 100_000  # a max-width query ranks below every viewport a default or min-width serves
# Elements whose own attributes name no picture (their media, frames or code).
NO_PICTURE_TAGS = frozenset(
    {"script", "iframe", "frame", "embed", "object", "audio", "track", "template", "base",
     "head", "form", "textarea", "select", "option"}
)  # fmt: skip


class Walk:
    """Reads elements one by one, giving the copies of one picture a shared slot."""

    def __init__(self) -> None:
        self.fragments: list[LexborHTMLParser] = []  # keeps fragment nodes (and ids) alive
        self.holders: dict[int, bool] = {}  # element -> whether it names its only image

    def node(self, node: LexborNode, slot: Hashable | None = None) -> Iterator[Raw]:
        """Every raw reference one element carries."""
        tag = node.tag or ""
        if tag in HANDLERS:
            yield from HANDLERS[tag](node)
        elif tag not in NO_PICTURE_TAGS and not tag.startswith("-"):
            attrs = node.attributes
            if attrs and not _is_media_source(node):
                yield from self._element(node, tag, attrs, slot)

    def _element(
        self, node: LexborNode, tag: str, attrs: Any, slot: Hashable | None
    ) -> Iterator[Raw]:
        """An element's references, unless it is drawn tiny, hidden, or is a beacon."""
        found = list(self._attributes(node, tag, attrs))
        if not found or _beacon(node):
            return
        lazy = tag == "img" and any(name not in ("src", "style") for name, _, _ in found)
        if tag != "source" and hidden_or_tiny_element(attrs, lazy):
            return
        slot = slot if slot is not None else self._slot(node)
        alt = clean(attrs.get("alt")) or clean(attrs.get("title"))
        shown = declared_size(attrs)[0] if tag == "img" else None
        noscript = _inside(node, "noscript")
        media = media_rank(attrs.get("media") or attrs.get("data-media") or "")
        preview = tag == "img" and _preview(attrs)
        for name, item, sub in found:
            if isinstance(item, str):
                yield from self._fragment(item, slot)
                continue
            kind = "background" if item.css else ("noscript" if noscript else _kind(tag, name))
            yield Raw(
                item.url, kind, item.width, None, alt, (slot, sub) if sub else slot,
                item.density, _tier(tag, name, item.tier, noscript), shown,
                node.mem_id if (name == "src" and tag == "img") else None,
                node.mem_id if (tag == "img" and name.startswith("data-")) else None,
                media, preview=preview and name == "src",
            )  # fmt: skip

    def _attributes(
        self, node: LexborNode, tag: str, attrs: Any
    ) -> Iterator[tuple[str, Found | str, Hashable | None]]:
        """``(attribute, what it names, sub-slot)``; a ``str`` item is HTML to read."""
        style = attrs.get("style") or ""
        if "(" in style and not narrow_box(style):
            for url in css_background_urls(style):
                yield "style", Found(url, css=True), None
        for name, value in attrs.items():
            if not value or name in NOT_URL_ATTRS or name.startswith("on"):
                continue
            if "/" not in value and "." not in value:
                continue  # no path, file name, srcset, style or JSON of URLs can hide here
            if is_template(value):
                yield from ((name, found, None) for found in filled(value, attrs))
                continue
            if holds_html(value):
                yield name, value, None
                continue
            founds = list(_attribute(tag, name, value, attrs))
            several = len({f.group for f in founds}) > 1
            for index, found in enumerate(founds):
                yield name, found, _sub_slot(found, index) if several else None

    def _fragment(self, value: str, slot: Hashable) -> Iterator[Raw]:
        """HTML written inside an attribute: parsed, and its pictures are this element's."""
        fragment = LexborHTMLParser(value)
        self.fragments.append(fragment)
        if fragment.root is not None:
            for inner in fragment.root.traverse():
                yield from self.node(inner, slot)

    def _slot(self, node: LexborNode) -> Hashable:
        """What an element's copies belong to: its ``<picture>`` (or a script's stand-in for
        one), the link or picture-naming element around its only image, the picture its
        ``<noscript>`` copy stands beside, or itself."""
        parent = node.parent
        if parent is None:
            return node.mem_id
        if node.tag in ("img", "source") and parent.tag == "picture":
            return parent.mem_id
        holder = _picture_holder(node)
        if holder is not None:
            return holder.mem_id
        if node.tag != "img":
            return node.mem_id
        if parent.tag == "noscript":
            beside = _element_before(parent)
            if beside is not None and beside.tag in ("img", "picture"):
                return self._slot(beside) if beside.tag == "img" else beside.mem_id
        if self._names_its_image(parent):
            return parent.mem_id
        return node.mem_id

    def _names_its_image(self, element: LexborNode) -> bool:
        """Once per element (a parent of many images is asked for each of them)."""
        known = self.holders.get(element.mem_id)
        if known is None:
            known = self.holders[element.mem_id] = _names_its_image(element)
        return known


def _attribute(tag: str, name: str, value: str, attrs: Any) -> Iterator[Found]:
    """What one attribute of one element names, by the element's rules, else by its value."""
    if name == "href":
        if (tag in ("a", "area") and is_image_path(value)) or tag == "image":
            yield Found(value.strip(HTML_SPACE))
    elif name in ("srcset", "imagesrcset") and tag in ("img", "source", "link"):
        yield from srcset_found(value)
    elif name == "src" and tag == "input":
        if (attrs.get("type") or "").lower() == "image" and value.strip(HTML_SPACE):
            yield Found(value.strip(HTML_SPACE))
    elif (name == "src" and tag == "img") or (name == "poster" and tag == "video"):
        if value.strip(HTML_SPACE):
            yield Found(value.strip(HTML_SPACE))
    elif name == "content":
        if is_image_path(value):
            yield Found(value.strip(HTML_SPACE))
    else:
        # an <img>'s data attributes are its loader's: a URL there is a copy of its picture
        yield from judge(name, value, image=tag == "img" and name.startswith("data-"))


def _sub_slot(found: Found, index: int) -> Hashable:
    """Objects inside one JSON value are separate pictures (each object's strings are one)."""
    return found.group if found.group >= 0 else f"item{index}"


def _picture_holder(node: LexborNode) -> LexborNode | None:
    """The ``data-picture`` element (a responsive-image script's ``<picture>``) holding
    ``node`` as a source (``data-media``) or inside its ``<noscript>``."""
    parent = node.parent
    if parent is not None and parent.tag == "noscript":
        parent = parent.parent
    if parent is not None and "data-picture" in parent.attributes:
        return parent
    return None


def _names_its_image(element: LexborNode) -> bool:
    """A link to an image file, or an element whose own data attributes name pictures, around
    exactly one ``<img>``: that image shows the picture the element names. (A background the
    element names is drawn behind its image, so it is another picture.)"""
    if element.tag == "a":
        return _one_image(element)
    if element.tag in ("body", "html", "picture", "noscript") or not any(
        name.startswith("data-") and value and not _BACKGROUND.search(name)
        and looks_like_image_url(value, name)
        for name, value in element.attributes.items()
    ):  # fmt: skip
        return False
    return len(element.css("img")) == 1


def _element_before(node: LexborNode) -> LexborNode | None:
    before = node.prev
    while before is not None and (before.tag or "").startswith(("-", "_")):
        before = before.prev
    return before


def media_rank(query: str) -> int:
    """The viewport a media query serves, for ranking copies the page gives no size for:
    ``min-width: N`` ranks N, no query 0, ``max-width: N`` below both."""
    if not query:
        return 0
    if low := _MIN_WIDTH.search(query):
        return int(low.group(1))
    if high := _MAX_WIDTH.search(query):
        return int(high.group(1)) - NARROW
    return 0


def _preview(attrs: Any) -> bool:
    """An ``<img>`` drawn at most 64 px, or blurred: what shows until the real copy loads."""
    width, height = declared_size(attrs)
    if (width or PREVIEW_MAX + 1) <= PREVIEW_MAX or (height or PREVIEW_MAX + 1) <= PREVIEW_MAX:
        return True
    look = f"{attrs.get('class') or ''} {attrs.get('style') or ''}"
    return "blur" in look.lower() and bool(_BLURRED.search(look))


def _one_image(anchor: LexborNode) -> bool:
    href = anchor.attributes.get("href") or ""
    return is_image_path(href) and len(anchor.css("img")) == 1


def _kind(tag: str, name: str) -> str:
    if tag == "img":
        return {"src": "img", "srcset": "srcset"}.get(name, "lazy")
    if tag == "source":
        return "picture"
    if tag == "a" and name == "href":
        return "link"
    if name == "poster":
        return "poster"
    if any(w in name for w in ("bg", "background")):
        return "background"
    return "img" if tag == "input" else "lazy"


def _beacon(node: LexborNode) -> bool:
    """The ``<noscript><img>`` a tracking script leaves for readers without JavaScript."""
    if node.tag != "img" or is_image_path(node.attributes.get("src") or ""):
        return False
    if beacon(node.attributes.get("src") or "", node.attributes):
        return True
    holder = node.parent
    while holder is not None and holder.tag != "noscript":
        holder = holder.parent
    before = holder.prev if holder is not None else None
    while before is not None and before.tag in ("-text", "_text", "-comment", "_comment"):
        before = before.prev
    return before is not None and before.tag == "script"


def _tier(tag: str, name: str, named: int, noscript: bool = False) -> float:
    """How large a copy the markup promises. A link from a picture opens its full size; an
    ``<img src>`` next to lazy-loading attributes is what shows before the loader runs, unless
    it is the copy kept for readers without scripts (``<noscript>``)."""
    if tag == "a" and name == "href":
        return 2
    if tag == "img" and name == "src" and named == 1:
        return 1 if noscript else 0.5
    return named


def _is_media_source(node: LexborNode) -> bool:
    """A ``<video>``/``<audio>`` ``<source>`` names media, not a picture."""
    return node.tag == "source" and (node.parent is None or node.parent.tag != "picture")


# -- helpers ---------------------------------------------------------------------


def _inside(node: LexborNode, tag: str) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False
