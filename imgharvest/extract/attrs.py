"""Attribute values judged by what they hold: a URL, a srcset, CSS, JSON or a bracketed list."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import chompjs

from imgharvest.extract.css import url_tokens

IMAGE_EXTENSIONS = frozenset(
    {"jpg", "jpeg", "jpe", "png", "gif", "webp", "avif", "bmp", "tif", "tiff", "jfif"}
)
# Extensions that name something other than a picture (pages, code, media, documents).
OTHER_EXTENSIONS = frozenset(
    {
        "html", "htm", "php", "asp", "aspx", "jsp", "cgi", "js", "mjs", "css", "json", "xml",
        "rss", "txt", "pdf", "mp4", "webm", "m4v", "mov", "mp3", "m4a", "ogg", "wav", "m3u8",
        "mpd", "woff", "woff2", "ttf", "otf", "eot", "zip", "swf", "ico", "svg", "vtt",
    }
)  # fmt: skip
# Words in an attribute or JSON key that say "this is an image" (for URLs without extension).
IMAGE_WORDS = frozenset(
    {
        "src", "img", "image", "images", "photo", "pic", "picture", "thumb", "thumbnail", "bg",
        "background", "poster", "original", "orig", "full", "large", "big", "hires", "retina",
        "lazy", "at2x", "media", "asset", "file", "zoom", "basename", "cover", "srcset",
        "default", "mediaviewer", "small", "medium", "teaser",
    }
)  # fmt: skip
ORIGINAL_WORDS = frozenset({"orig", "original", "full", "fullres", "fullsize", "master", "raw"})
LARGE_WORDS = frozenset(
    {
        "hires", "hi", "highres", "high", "retina", "2x", "at2x", "large", "big", "zoom",
        "max", "xl", "xxl", "lg", "hd", "mediaviewer", "huge", "datasrc",
    }
)  # fmt: skip
SMALL_WORDS = frozenset(
    {
        "small", "thumb", "thumbnail", "medium", "mini", "preview", "low", "lowres", "lq",
        "tiny", "sm", "xs", "md", "lowsrc", "mobile", "placeholder", "blur",
    }
)  # fmt: skip
# Words in a host or path that mark an image store or an image resizer.
IMAGE_PLACES = frozenset(
    {
        "img", "imgs", "image", "images", "photo", "photos", "media", "pic", "pics", "picture",
        "pictures", "thumb", "thumbs", "thumbnail", "thumbnails", "static", "cdn", "assets",
        "upload", "uploads", "files", "vignette", "resize", "scale", "thumbor", "cloudinary",
        "imgix", "gallery", "foto", "fotos", "bild", "bilder",
    }
)  # fmt: skip
TIER_WORDS = {3: ORIGINAL_WORDS, 2: LARGE_WORDS, 0: SMALL_WORDS}
# Size words long enough to be read at either end of a run-together name
# ("imageurllarge", "thumbsrc", "fullimage"); shorter ones only as whole words.
_JOINED = tuple(
    (t, w) for t in (3, 2, 0) for w in sorted(TIER_WORDS[t], key=len, reverse=True) if len(w) >= 4
)
WIDTH_FIELDS = ("width", "w", "size", "maxwidth")
HTML_SPACE = " \t\n\f\r"
_WORD = re.compile(r"[a-z0-9]+")
_DESCRIPTOR = re.compile(r"\S\s+\d+(?:\.\d+)?[wx]\s*(?:,|$)")
_BRACKETED = re.compile(r"\[\s*([^,\[\]\s]+)\s*,\s*\(?\s*([^)\]]*?)\s*\)?\s*\]")
_BARE_LIST = re.compile(r"\[\s*[^\s\[\]{}'\"0-9.-]")  # "[a.jpg, (small)]": no JS
_TAG = re.compile(r"<\s*[a-z][a-z0-9]*[\s/>]", re.I)
_LIST_SPLIT = re.compile(r"[\s,;|]+")
SIZE_RANGE = (16, 20_000)  # pixels a listed size may take; others are not sizes
MAX_VALUE = 200_000  # characters: bigger attribute values are not read
MAX_DEPTH = 32  # JSON nesting read inside an attribute
_UNREAD = object()  # what ``loose_data`` answers for a value that is no data


@dataclass(frozen=True, slots=True)
class Found:
    """A URL read from an attribute value; ``group`` >= 0 ties copies named by one object."""

    url: str
    width: int | None = None
    density: float = 1.0
    tier: int = 1
    group: int = -1
    css: bool = False


@lru_cache(maxsize=4096)
def tier(name: str) -> int:
    """How large a copy an attribute or key name promises: 3 original ... 0 thumbnail."""
    words = set(_WORD.findall(name.lower()))
    whole = next((t for t in (3, 2, 0) if words & TIER_WORDS[t]), None)
    if whole is not None:
        return whole
    joined = [w for w in words if len(w) > 4 and not w.isdigit()]
    return next(
        (t for t, w in _JOINED for j in joined if j != w and (j.endswith(w) or j.startswith(w))),
        1,
    )


def names_image(name: str) -> bool:
    return bool(set(_WORD.findall(name.lower())) & IMAGE_WORDS) or name.strip().isdigit()


def extension(url: str) -> str:
    """The lower-cased file extension of a URL's path ("" without one)."""
    path = url.strip(HTML_SPACE).split("#", 1)[0].split("?", 1)[0]
    if "//" in path:
        path = path.split("//", 1)[1].partition("/")[2]
    last = path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def is_image_path(url: str) -> bool:
    """Whether a URL's path ends in a known image file extension."""
    return extension(url) in IMAGE_EXTENSIONS


def looks_like_image_url(value: str, name: str) -> bool:
    """A single URL-shaped value that is an image by its extension, or by its name and shape."""
    value = value.strip(HTML_SPACE)
    if not value or any(c in value for c in " \t\n\r<>{}\"'") or value.startswith(("#", "data:")):
        return False
    if value.lower().startswith(("javascript:", "mailto:", "tel:", "about:", "blob:")):
        return False
    ext = extension(value)
    if ext in IMAGE_EXTENSIONS:
        return True
    if ext in OTHER_EXTENSIONS or not names_image(name):
        return False
    return value.startswith(("http://", "https://", "//", "/")) and _image_place(value)


def _image_place(url: str) -> bool:
    """A URL without a file extension still names a picture if its host or path says so."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    words = set(_WORD.findall(f"{parts.netloc} {parts.path}".lower()))
    return bool(words & IMAGE_PLACES)


def holds_html(value: str) -> bool:
    return "<" in value and bool(_TAG.search(value))


def judge(name: str, value: str, image: bool = False) -> Iterator[Found]:
    """Every image URL an attribute value holds, whatever its form (``image``: the attribute
    is known to name a picture, so an address without a file extension may be one)."""
    text = value.strip(HTML_SPACE)
    if not text or len(text) > MAX_VALUE:
        return
    if text[0] in "{[":
        yield from _structured(name, text)
    elif "(" in text and "url(" in text.lower():
        yield from (Found(u, css=True) for u in url_tokens(text) if looks_like_image_url(u, "src"))
    elif _has_space(text) and _DESCRIPTOR.search(text):
        yield from srcset_found(text, tier(name))
    elif looks_like_image_url(text, "src" if image else name):
        yield Found(text, tier=tier(name))


def _has_space(text: str) -> bool:
    return " " in text or "\n" in text or "\t" in text


def srcset_found(value: str, level: int = 1, group: int = -1) -> Iterator[Found]:
    """A srcset's candidates with their ``w`` or ``x`` descriptor."""
    for url, descriptors in parse_srcset(value):
        width, dens = measure(descriptors)
        yield Found(url, width, dens, level, group)


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


def measure(descriptors: list[str]) -> tuple[int | None, float]:
    """``(width, density)`` from srcset descriptors (``300w``, ``2x``)."""
    width, dens = None, 1.0
    for token in descriptors:
        number, unit = token[:-1], token[-1:].lower()
        try:
            if unit == "w":
                width = int(number)
            elif unit == "x":
                dens = float(number)
        except ValueError:
            continue
    return width, dens


def _structured(name: str, text: str) -> Iterator[Found]:
    """JSON, else a bracketed list such as ``[a.jpg, (small)], [b.jpg, (large)]``, else
    JavaScript-ish data (single quotes, unquoted keys, trailing commas)."""
    data = loose_data(text)
    if data is _UNREAD:
        for url, label in _BRACKETED.findall(text):
            if looks_like_image_url(url, "src"):
                yield Found(url, tier=tier(label), group=0)
        return
    yield from _JsonWalk(name).walk(data, name, -1)


def loose_data(text: str) -> Any:
    """``text`` as JSON, or as a JavaScript object or array literal; ``_UNREAD`` when it is
    neither, or when it is a bracketed ``[url, (label)]`` list (read by its own rule)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    if _BARE_LIST.match(text) or not any(mark in text for mark in "'\":"):
        return _UNREAD
    try:
        return chompjs.parse_js_object(text)
    except (ValueError, RecursionError):
        return _UNREAD


class _JsonWalk:
    """Image URLs anywhere in a JSON value; the strings of one object are copies of one picture."""

    def __init__(self, name: str) -> None:
        self.name, self.groups = name, 0

    def walk(self, node: Any, key: str, group: int, depth: int = 0) -> Iterator[Found]:
        if depth > MAX_DEPTH:
            return
        if isinstance(node, str):
            if looks_like_image_url(node, key) or (key == self.name and is_image_path(node)):
                yield Found(node, _key_width(key), tier=tier(key), group=group)
        elif isinstance(node, dict):
            yield from self._object(node, group, depth)
        elif isinstance(node, list):
            sizes = _is_size_list(node)
            group = self._new() if sizes else group
            for item in node[:1000]:
                yield from self.walk(item, key, group if sizes else -1, depth + 1)

    def _object(self, node: dict[str, Any], group: int, depth: int) -> Iterator[Found]:
        group = group if group >= 0 else self._new()
        width = next((_number(node.get(k)) for k in WIDTH_FIELDS if _number(node.get(k))), None)
        for key, value in list(node.items())[:1000]:
            for found in self.walk(value, str(key), group, depth + 1):
                same = isinstance(value, str)
                yield Found(
                    found.url, found.width or (width if same else None), found.density,
                    found.tier, found.group,
                )  # fmt: skip

    def _new(self) -> int:
        self.groups += 1
        return self.groups


def loose_numbers(value: str) -> list[int]:
    """The sizes a value lists: ``[320, 640]`` (JSON or JavaScript-ish, numbers, numeric
    strings or objects with a width), ``320,640``, ``320w 640w`` or one ``800``."""
    text = value.strip(HTML_SPACE)
    if text and text[0] in "[{" and len(text) <= MAX_VALUE:
        data = loose_data(text)
        items = data if isinstance(data, list) else [data]
        numbers = [_number(i) or _width_of(i) for i in items[:1000]]
    else:
        tokens = [t.removesuffix("px").removesuffix("w") for t in _LIST_SPLIT.split(text) if t]
        numbers = [int(t) if t.isdigit() and len(t) <= 5 else None for t in tokens[:1000]]
    if not numbers or None in numbers:
        return []
    return [n for n in numbers if n is not None and SIZE_RANGE[0] <= n <= SIZE_RANGE[1]]


def _width_of(item: Any) -> int | None:
    if not isinstance(item, dict):
        return None
    return next((_number(item.get(k)) for k in WIDTH_FIELDS if _number(item.get(k))), None)


def _is_size_list(items: list[Any]) -> bool:
    """A list of objects that each state a width: sizes of one picture."""
    objects = [i for i in items if isinstance(i, dict)]
    return len(objects) > 1 and all(any(_number(o.get(k)) for k in WIDTH_FIELDS) for o in objects)


def _key_width(key: str) -> int | None:
    """A key that is a width: ``"640"``, ``"640w"``, ``"w640"``."""
    match = re.fullmatch(r"w?(\d{2,5})w?", key.strip().lower())
    return int(match.group(1)) if match else None


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if value > 0 else None
    if isinstance(value, str) and value.strip().removesuffix("px").isdigit():
        return int(value.strip().removesuffix("px"))
    return None
