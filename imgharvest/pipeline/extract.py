"""HTML to image references: every place a page names an image, resolved per the HTML spec."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import SplitResult, quote, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

IMAGE_EXTENSIONS = frozenset(
    {"jpg", "jpeg", "jpe", "png", "gif", "webp", "avif", "bmp", "tif", "tiff"}
)
# Lazy-loader attributes, best first: plugins keep the original file in the first three.
FULL_SIZE_ATTRS = ("data-orig-file", "data-large-file", "data-hi-res-src")
LAZY_SRCSET_ATTRS = ("data-lazy-srcset", "data-srcset")
LAZY_SRC_ATTRS = (
    "data-lazy-src", "data-src", "data-original", "data-lazy-original", "data-cfsrc", "data-echo",
)  # fmt: skip
BACKGROUND_ATTRS = ("data-bg", "data-background")
META_KINDS = {
    "og:image": "og:image",
    "og:image:url": "og:image",
    "og:image:secure_url": "og:image",
    "twitter:image": "twitter:image",
    "twitter:image:src": "twitter:image",
    "image": "itemprop",
}
LD_URL_KEYS = ("image", "contentUrl", "thumbnailUrl")
HTML_SPACE = " \t\n\f\r"
ALLOWED_SCHEMES = ("http", "https")
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.~!#$%&'()*+,/:;=?@\[\]-]")
_PLAIN_NETLOC = re.compile(r"[a-z0-9.-]+(?::[0-9]{1,5})?")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.I)
_CSS_BACKGROUND = re.compile(r"background(?:-image)?\s*:([^;}]*)", re.I)


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One image reference found on a page: absolute URL and how it was found."""

    url: str
    kind: str
    width: int | None = None
    height: int | None = None
    alt: str | None = None
    figcaption: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """What one parse of a page yields: title, image references and links to follow."""

    url: str
    base: str
    title: str | None
    images: list[ImageRef] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Raw:
    """A reference as written in the page, before resolution."""

    value: str
    kind: str
    width: int | None = None
    height: int | None = None
    alt: str | None = None
    figcaption: str | None = None


def extract_images(html: str, page_url: str) -> list[ImageRef]:
    """Every image referenced by ``html``, absolute, de-duplicated, in document order."""
    return extract_page(html, page_url).images


def extract_page(html: str, page_url: str) -> Page:
    """Parse ``html`` once (``page_url`` is the final URL after redirects)."""
    tree = LexborHTMLParser(html)
    base = base_url(tree, page_url)
    nodes = list(tree.root.traverse()) if tree.root is not None else []
    raws = [raw for node in nodes for raw in _node_refs(node)]
    hrefs = [node.attributes.get("href") or "" for node in nodes if node.tag == "a"]
    links = (resolve(h, base) for h in hrefs if not is_image_path(h))
    return Page(
        url=page_url,
        base=base,
        title=_title(tree),
        images=_resolve_refs(raws, base),
        links=_unique(u for u in links if u),
    )


def base_url(tree: LexborHTMLParser, page_url: str) -> str:
    """The first ``<base href>`` resolved against the page URL, else the page URL."""
    node = tree.css_first("base[href]")
    if node is None:
        return page_url
    base = resolve(node.attributes.get("href") or "", page_url)
    return base or page_url


def resolve(value: str, base: str) -> str | None:
    """An attribute URL made absolute against ``base``, fragment dropped; None unless http(s)."""
    value = _TAB_NEWLINE.sub("", value.strip(HTML_SPACE))
    if not value:
        return None
    try:
        parts = urlsplit(urljoin(base, value))
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        return None
    return _encode(parts._replace(fragment=""))


def _encode(parts: SplitResult) -> str | None:
    """Percent-encode non-ASCII (and spaces) the way browsers do before requesting."""
    try:
        netloc = _netloc(parts)
    except (UnicodeError, ValueError):  # a bad IDN label or port
        return None
    path, query = (_quote(p) for p in (parts.path, parts.query))
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def _quote(text: str) -> str:
    return quote(text, safe=_URL_SAFE) if _UNSAFE.search(text) else text


def _netloc(parts: SplitResult) -> str:
    """Host lower-cased and IDNA-encoded; user info and port kept."""
    if _PLAIN_NETLOC.fullmatch(parts.netloc):
        return parts.netloc
    host = (parts.hostname or "").encode("idna").decode("ascii")
    host = f"[{host}]" if ":" in host else host
    userinfo = parts.netloc.rpartition("@")[0]
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{userinfo}@{host}{port}" if userinfo else f"{host}{port}"


def _resolve_refs(raws: list[_Raw], base: str) -> list[ImageRef]:
    """Resolve, drop unusable URLs and de-duplicate keeping the first (best) occurrence."""
    seen: set[str] = set()
    refs = []
    for raw in raws:
        url = resolve(raw.value, base)
        if url and url not in seen:
            seen.add(url)
            refs.append(ImageRef(url, raw.kind, raw.width, raw.height, raw.alt, raw.figcaption))
    return refs


def _unique(urls: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(urls))


def _title(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("title")
    text = " ".join(node.text().split()) if node is not None else ""
    return text or None


# -- per element ---------------------------------------------------------------


def _node_refs(node: LexborNode) -> Iterator[_Raw]:
    """Every raw reference one element carries (its own tag's, then its style's)."""
    handler = _HANDLERS.get(node.tag or "")
    if handler is not None:
        yield from handler(node)
    yield from _style_attr_refs(node)


def _img_refs(node: LexborNode) -> Iterator[_Raw]:
    """An ``<img>``'s references, each with the caption of the ``<figure>`` around it."""
    caption = _figcaption(node)
    for raw in _img_sources(node):
        yield replace(raw, figcaption=caption) if caption else raw


def _figcaption(node: LexborNode) -> str | None:
    """The text of the ``<figcaption>`` of the nearest enclosing ``<figure>``, if any."""
    parent = node.parent
    while parent is not None and parent.tag != "figure":
        parent = parent.parent
    caption = parent.css_first("figcaption") if parent is not None else None
    return _clean(" ".join(caption.text().split())) if caption is not None else None


def _img_sources(node: LexborNode) -> Iterator[_Raw]:
    """An ``<img>``: full-size lazy attributes, largest srcsets, lazy sources, then ``src``."""
    attrs = node.attributes
    alt = _clean(attrs.get("alt")) or _clean(attrs.get("title"))
    kind = "noscript" if _inside(node, "noscript") else None
    for name in FULL_SIZE_ATTRS:
        yield from _plain(attrs.get(name), kind or "lazy", alt)
    for name in (*LAZY_SRCSET_ATTRS, "srcset"):
        yield from _largest(
            attrs.get(name), kind or ("srcset" if name == "srcset" else "lazy"), alt
        )
    for name in LAZY_SRC_ATTRS:
        yield from _plain(attrs.get(name), kind or "lazy", alt)
    yield from _plain(attrs.get("src"), kind or "img", alt)


def _source_refs(node: LexborNode) -> Iterator[_Raw]:
    """A ``<picture><source>``: its largest srcset candidate (``<video><source>`` is media)."""
    if node.parent is None or node.parent.tag != "picture":
        return
    attrs = node.attributes
    for name in (*LAZY_SRCSET_ATTRS, "srcset"):
        yield from _largest(attrs.get(name), "picture", None)


def _meta_refs(node: LexborNode) -> Iterator[_Raw]:
    """``og:image`` (``property=`` or ``name=``), ``twitter:image``, ``itemprop=image``."""
    attrs = node.attributes
    key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or ""
    kind = META_KINDS.get(key.strip().lower())
    if kind is not None and (key != "image" or "itemprop" in attrs):
        yield from _plain(attrs.get("content"), kind, None)


def _link_refs(node: LexborNode) -> Iterator[_Raw]:
    """``<link rel=image_src>`` and ``<link rel=preload as=image>``."""
    attrs = node.attributes
    rels = (attrs.get("rel") or "").lower().split()
    if "image_src" in rels or "img_src" in rels:
        yield from _plain(attrs.get("href"), "image_src", None)
    elif "preload" in rels and (attrs.get("as") or "").lower() == "image":
        yield from _largest(attrs.get("imagesrcset"), "link", None)
        yield from _plain(attrs.get("href"), "link", None)


def _anchor_refs(node: LexborNode) -> Iterator[_Raw]:
    """``<a href>`` pointing at an image file (judged by the path's extension)."""
    href = node.attributes.get("href") or ""
    if is_image_path(href):
        yield _Raw(href, "link", alt=_clean(node.attributes.get("title")))


def _poster_refs(node: LexborNode) -> Iterator[_Raw]:
    yield from _plain(node.attributes.get("poster"), "poster", None)


def _input_refs(node: LexborNode) -> Iterator[_Raw]:
    if (node.attributes.get("type") or "").lower() == "image":
        yield from _plain(node.attributes.get("src"), "img", _clean(node.attributes.get("alt")))


def _style_block_refs(node: LexborNode) -> Iterator[_Raw]:
    for value in _css_backgrounds(node.text(deep=True)):
        yield _Raw(value, "background")


def _script_refs(node: LexborNode) -> Iterator[_Raw]:
    """JSON-LD blocks: ``image``, ``contentUrl``, ``thumbnailUrl`` anywhere, incl. ``@graph``."""
    if (node.attributes.get("type") or "").strip().lower() != "application/ld+json":
        return
    try:
        data = json.loads(node.text(deep=True))
    except ValueError:
        return
    yield from _ld_walk(data)


def _style_attr_refs(node: LexborNode) -> Iterator[_Raw]:
    """Inline ``background-image`` and the lazy ``data-bg`` family, on any element."""
    attrs = node.attributes
    for value in _css_backgrounds(attrs.get("style") or ""):
        yield _Raw(value, "background")
    for name in BACKGROUND_ATTRS:
        value = attrs.get(name) or ""
        urls = [_css_url(m) for m in _CSS_URL.finditer(value)] if "url(" in value else [value]
        yield from (_Raw(u, "background") for u in urls if u)


_HANDLERS = {
    "img": _img_refs,
    "source": _source_refs,
    "meta": _meta_refs,
    "link": _link_refs,
    "a": _anchor_refs,
    "video": _poster_refs,
    "input": _input_refs,
    "style": _style_block_refs,
    "script": _script_refs,
}


# -- helpers ---------------------------------------------------------------------


def _plain(value: str | None, kind: str, alt: str | None) -> Iterator[_Raw]:
    if value and value.strip(HTML_SPACE):
        yield _Raw(value, kind, alt=alt)


def _largest(value: str | None, kind: str, alt: str | None) -> Iterator[_Raw]:
    best = largest_candidate(value or "")
    if best is not None:
        yield _Raw(best[0], kind, width=best[1], alt=alt)


def _clean(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def _inside(node: LexborNode, tag: str) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False


def is_image_path(url: str) -> bool:
    """Whether a URL's path ends in a known image file extension."""
    path = urlsplit(url.strip(HTML_SPACE)).path
    return path.rsplit(".", 1)[-1].lower() in IMAGE_EXTENSIONS if "." in path else False


# -- srcset (HTML spec "parse a srcset attribute") ---------------------------------


def parse_srcset(value: str) -> list[tuple[str, list[str]]]:
    """``(url, descriptors)`` pairs; a URL is a run of non-space, only trailing commas end it."""
    out: list[tuple[str, list[str]]] = []
    pos, end = 0, len(value)
    while pos < end:
        while pos < end and (value[pos] in HTML_SPACE or value[pos] == ","):
            pos += 1
        start = pos
        while pos < end and value[pos] not in HTML_SPACE:
            pos += 1
        url = value[start:pos]
        if not url:
            break
        if url.endswith(","):
            out.append((url.rstrip(","), []))
            continue
        descriptors, pos = _descriptors(value, pos)
        out.append((url, descriptors))
    return out


def _descriptors(value: str, pos: int) -> tuple[list[str], int]:
    """Descriptor tokens up to the next comma outside parentheses."""
    depth, start = 0, pos
    while pos < len(value):
        char = value[pos]
        depth += (char == "(") - (char == ")")
        if char == "," and depth <= 0:
            break
        pos += 1
    return value[start:pos].split(), pos + 1


def largest_candidate(value: str) -> tuple[str, int | None] | None:
    """The srcset candidate with the largest ``w`` (else ``x``) descriptor, and its width."""
    best: tuple[float, float, str, int | None] | None = None
    for url, descriptors in parse_srcset(value):
        width, density = _measure(descriptors)
        key = (float(width or 0), density, url, width)
        if best is None or key[:2] > best[:2]:
            best = key
    return None if best is None else (best[2], best[3])


def _measure(descriptors: list[str]) -> tuple[int | None, float]:
    width, density = None, 1.0
    for token in descriptors:
        number, unit = token[:-1], token[-1:].lower()
        try:
            if unit == "w":
                width = int(number)
            elif unit == "x":
                density = float(number)
        except ValueError:
            continue
    return width, density


# -- CSS ----------------------------------------------------------------------------


def _css_backgrounds(css: str) -> Iterator[str]:
    """URLs inside ``background``/``background-image`` declarations (quotes optional)."""
    for declaration in _CSS_BACKGROUND.finditer(css):
        for match in _CSS_URL.finditer(declaration.group(1)):
            url = _css_url(match)
            if url:
                yield url


def _css_url(match: re.Match[str]) -> str:
    return next((g for g in match.groups() if g is not None), "").strip()


# -- JSON-LD ------------------------------------------------------------------------


def _ld_walk(node: Any) -> Iterator[_Raw]:
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


def _ld_image(value: Any, owner: dict[str, Any]) -> Iterator[_Raw]:
    """An ``image``-like value: a URL string, a list of them, or an ``ImageObject``."""
    if isinstance(value, str):
        yield _Raw(
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
            return _clean(node[key])
    return None
