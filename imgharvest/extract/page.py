"""HTML to image references: every place a page names an image, resolved per the HTML spec.

Any element and any attribute is read (``walk``; ``attrs`` judges a value by
what it holds); copies of one picture are grouped and the largest reported, the others kept
as fallbacks (``group``); placeholders, trackers and icons are dropped
(``junk``, and here the stand-ins only a whole page reveals).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field, replace
from urllib.parse import SplitResult, quote, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser

from imgharvest.extract.attrs import (
    HTML_SPACE,
    extension,
    is_image_path,
    measure,
    parse_srcset,
)
from imgharvest.extract.captions import figure_captions
from imgharvest.extract.group import Copy, Picture, pictures
from imgharvest.extract.junk import ICON_MAX, placeholder_url
from imgharvest.extract.original import original_srcs
from imgharvest.extract.raw import Raw
from imgharvest.extract.sizes import picture_key
from imgharvest.extract.template import unfilled
from imgharvest.extract.walk import Walk

__all__ = [
    "ImageRef", "Page", "base_url", "extract_images", "extract_page", "is_image_path",
    "largest_candidate", "parse_srcset", "resolve",
]  # fmt: skip

ALLOWED_SCHEMES = ("http", "https")
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.~!#$%&'()*+,/:;=?@\[\]-]")
_PLAIN_NETLOC = re.compile(r"[a-z0-9.-]+(?::[0-9]{1,5})?")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
STAND_IN_FORMATS = frozenset({"gif", "png", "svg", ""})  # what lazy loaders show first
_AMP = re.compile(r"&(?:amp|#0*38|#x0*26);", re.I)


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One picture found on a page: its largest copy's absolute URL, how it was found, and
    the other copies (largest first) to try when that one cannot be had."""

    url: str
    kind: str
    width: int | None = None
    height: int | None = None
    alt: str | None = None
    fallbacks: tuple[str, ...] = ()
    figcaption: str | None = None
    chosen: str = ""  # what made ``url`` the largest copy ("" for a single copy)
    unsized: bool = False  # no size told the copies apart: measure them before choosing


@dataclass(frozen=True, slots=True)
class Page:
    """What one parse of a page yields: title, image references and links to follow; when
    asked, ``img_srcs``: what the original crawler listed (``original.original_srcs``)."""

    url: str
    base: str
    title: str | None
    images: list[ImageRef] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    img_srcs: list[str] = field(default_factory=list)


def extract_images(html: str, page_url: str) -> list[ImageRef]:
    """Every picture referenced by ``html``, largest copy first, absolute, in document order."""
    return extract_page(html, page_url).images


def extract_page(html: str, page_url: str, *, img_srcs: bool = False) -> Page:
    """Parse ``html`` once (``page_url`` is the final URL after redirects); ``img_srcs``
    also lists the page's ``<img src>`` as the original crawler did."""
    tree = LexborHTMLParser(html)
    base = base_url(tree, page_url)
    nodes = list(tree.root.traverse()) if tree.root is not None else []
    walk = Walk()
    raws = [raw for node in nodes for raw in walk.node(node)]
    hrefs = [node.attributes.get("href") or "" for node in nodes if node.tag == "a"]
    links = (resolve(h, base) for h in hrefs if not is_image_path(h))
    return Page(
        url=page_url,
        base=base,
        title=_title(tree),
        images=_captioned(_images(raws, base), figure_captions(tree, base, resolve)),
        links=_unique(u for u in links if u),
        img_srcs=original_srcs(nodes, base, resolve) if img_srcs else [],
    )


def _captioned(refs: list[ImageRef], captions: dict[str, str]) -> list[ImageRef]:
    """Each picture with the caption of the figure showing any of its copies."""
    if not captions:
        return refs
    return [
        replace(ref, figcaption=next((captions[u] for u in (ref.url, *ref.fallbacks)
                                      if u in captions), None))
        for ref in refs
    ]  # fmt: skip


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


def _images(raws: list[Raw], base: str) -> list[ImageRef]:
    """Resolve, drop stand-ins, group copies of one picture and report each one's largest."""
    copies: list[Copy] = []
    srcs: list[tuple[str, int]] = []
    resolved: dict[str, str | None] = {}
    by_src: dict[int, Copy] = {}
    for raw in raws:
        if raw.value not in resolved:
            resolved[raw.value] = _usable(_resolve_value(raw.value, base))
        url = resolved[raw.value]
        if url is None:
            continue
        if (raw.width or ICON_MAX + 1) <= ICON_MAX:
            continue  # a stated width of 32 px or less (``1w``) is a stand-in or an icon
        if raw.src_of is not None:
            srcs.append((url, raw.src_of))
        copy = _copy(raw, url)
        copies.append(copy)
        if raw.src_of is not None:
            by_src[raw.src_of] = copy
    shared = _shared_lazy_srcs(srcs, copies, raws)
    stand_ins = {id(by_src[e]) for e in _stand_in_srcs(raws, resolved) if e in by_src}
    kept = [c for c in copies if c.url not in shared and id(c) not in stand_ins]
    return [_ref(p) for p in pictures(kept)]


def _ref(picture: Picture) -> ImageRef:
    best = picture.best
    return ImageRef(
        best.url, best.kind, best.width, best.height, picture.alt, picture.fallbacks,
        chosen=picture.chosen, unsized=picture.unsized,
    )  # fmt: skip


def _usable(url: str | None) -> str | None:
    """The URL, unless it still holds a template placeholder or names a stand-in."""
    return None if url is None or unfilled(url) or placeholder_url(url) else url


def _resolve_value(value: str, base: str) -> str | None:
    """``resolve``, after undoing an ``&amp;`` a page escaped twice (``&amp;amp;``) or wrote
    raw inside CSS or JSON; other ``&name`` sequences stay (``&copy=`` is a parameter)."""
    while "&" in value and _AMP.search(value):
        value = _AMP.sub("&", value)
    return resolve(value, base)


def _copy(raw: Raw, url: str) -> Copy:
    return Copy(
        url, raw.kind, raw.width, raw.height, raw.alt, raw.slot, raw.density, raw.tier, raw.shown,
        raw.media, raw.hint, raw.preview,
    )  # fmt: skip


def _shared_lazy_srcs(srcs: list[tuple[str, int]], copies: list[Copy], raws: list[Raw]) -> set[str]:
    """A ``src`` that several elements share while each names another picture: a stand-in."""
    keys: dict[Hashable, set[str]] = {}
    for copy in copies:
        if copy.slot is not None:
            keys.setdefault(copy.slot, set()).add(picture_key(copy.url))
    owners: dict[str, set[int]] = {}
    slots = {raw.src_of: raw.slot for raw in raws if raw.src_of is not None}
    for url, element in srcs:
        others = keys.get(slots.get(element), set()) - {picture_key(url)}
        if others:
            owners.setdefault(url, set()).add(element)
    return {url for url, elements in owners.items() if len(elements) > 1}


def _stand_in_srcs(raws: list[Raw], resolved: dict[str, str | None]) -> set[int]:
    """``<img>`` elements whose ``src`` is a gif, png or svg from another folder than the
    pictures their loader attributes name: what shows until the loader runs, not a copy."""
    lazy: dict[int, set[str]] = {}
    for raw in raws:
        url = resolved.get(raw.value)
        if raw.lazy_of is not None and url:
            lazy.setdefault(raw.lazy_of, set()).add(_folder(url))
    out = set()
    for raw in raws:
        url = resolved.get(raw.value)
        if raw.src_of not in lazy or not url or extension(url) not in STAND_IN_FORMATS:
            continue
        if _folder(url) not in lazy[raw.src_of]:
            out.add(raw.src_of)
    return out


def _folder(url: str) -> str:
    return url.split("?", 1)[0].rsplit("/", 1)[0].lower()


def _unique(urls: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(urls))


def _title(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("title")
    text = " ".join(node.text().split()) if node is not None else ""
    return text or None


# -- srcset (HTML spec "parse a srcset attribute") ---------------------------------


def largest_candidate(value: str) -> tuple[str, int | None] | None:
    """The srcset candidate with the largest ``w`` (else ``x``) descriptor, and its width."""
    best: tuple[float, float, str, int | None] | None = None
    for url, descriptors in parse_srcset(value):
        width, density = measure(descriptors)
        key = (float(width or 0), density, url, width)
        if best is None or key[:2] > best[:2]:
            best = key
    return None if best is None else (best[2], best[3])
