"""Sizes written in image URLs (``-300x200``, ``_800w``, ``?w=``, ``/max/800/``); the picture a
URL shows. Digits alone are never a size: ``/photos/1234.jpg`` and ``1235.jpg`` are two pictures."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

# A WxH pair standing on its own in the path: "-300x200.", "/1200x630/", "s640x640/", "_24x24".
_PAIR = re.compile(r"(?:(?<=[/_\-.=,])|^)[sw]?(\d{1,5})[x\u00d7](\d{1,5})(?=$|[/_\-.,@])")
_MAX = re.compile(r"/(?:max|fit/c|resize|width|w)/(\d{1,5})(?:/(\d{1,5}))?(?=/)")
_PARAMS = re.compile(r"(?:^|,)([wh])_(\d{1,5})(?=,|$)")
_GOOGLE = re.compile(r"=(?:s(\d{1,5})|w(\d{1,5})-h(\d{1,5}))[^/]*$")
_DENSITY = re.compile(r"@([1-4])x(?=\.[a-z0-9]+$)", re.I)
_DRUPAL_STYLE = re.compile(r"/styles/([^/]+)/(?:public|private)/")
_STYLE_WIDTH = re.compile(r"(?:^|_)(\d{2,4})(?:$|_)")
# Folder names that hold one size of every picture ("/big/x.jpg", "/thumb/x.jpg").
SIZE_DIRS = frozenset(
    {"big", "preview", "thumb", "thumbs", "thumbnail", "thumbnails", "small", "medium",
     "large", "hires", "orig", "original", "originals", "full", "fullsize", "xl", "xxl"}
)  # fmt: skip
# A path segment (or the start of a file name) that is a content hash or a UUID.
_HASH = re.compile(
    r"(?<=/)(?:[0-9a-f]{32,64}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"(?=$|/|_|\.)",
    re.I,
)
# A folder named "<crop>-W-H" ("uncropped-306-475"): the size of the rendition inside it.
_NAMED_PAIR = re.compile(r"(?<=/)(?=[a-z0-9]*[a-z])[a-z0-9]+-(\d{2,4})-(\d{2,4})(?=/)", re.I)
# Aspect ratios that folders are named after ("/16x9/"): a shape, not a size.
ASPECTS = frozenset(
    {("16", "9"), ("9", "16"), ("4", "3"), ("3", "4"), ("3", "2"), ("2", "3"), ("21", "9"),
     ("1", "1"), ("2", "1"), ("1", "2"), ("5", "4"), ("4", "5")}
)  # fmt: skip
_EMBEDDED = re.compile(r"/https?://", re.I)
# A width written with its unit in a file name: "boat_800w.jpg", "boat-1600w.webp".
_WIDTH_TOKEN = re.compile(r"(?<=[-_.])(\d{2,5})w(?=[-_.][^/]*$|$)", re.I)
_PARAM_SEGMENT = re.compile(  # a resizer's folder of options: "w_900,h_600,c_fill", "q_80"
    r"^(?:w|h|c|q|f|g|fl|ar|dpr|e|x|y|b|r|t|o|a|z|ret)_[^,/]+"
    r"(?:,(?:w|h|c|q|f|g|fl|ar|dpr|e|x|y|b|r|t|o|a|z|ret)_[^,/]+)*$"
)
# URLs whose size and key are kept: more than a page of the largest size names (a key is
# asked for several times per URL, and a miss costs as much as the first time).
URLS_CACHED = 1 << 16
WIDTH_KEYS = ("w", "width", "mw", "maxwidth", "max-w", "resize", "s", "sz", "size")
HEIGHT_KEYS = ("h", "height", "mh", "maxheight", "max-h")
# Query parameters that pick a size, quality, format, crop or signature of one picture.
COPY_PARAMS = frozenset(
    {
        *WIDTH_KEYS, *HEIGHT_KEYS, "q", "quality", "fit", "crop", "auto", "format", "fm",
        "dpr", "itok", "strip", "zoom", "ssl", "la", "hash", "enable", "usm", "ixlib", "sig",
        "modified_at", "ratio_x", "ratio_y", "v", "ver", "version", "_nc_ht", "oh", "oe",
    }
)  # fmt: skip


@lru_cache(maxsize=URLS_CACHED)
def url_size(url: str) -> tuple[int | None, int | None]:
    """The width and height a URL asks for, as far as its path or query says."""
    parts = urlsplit(url)
    width, height = _path_size(parts.path)
    query = {k.lower(): v for k, v in parse_qsl(parts.query)}
    qwidth = next((_int(query[k]) for k in WIDTH_KEYS if k in query), None)
    qheight = next((_int(query[k]) for k in HEIGHT_KEYS if k in query), None)
    if qwidth is not None or qheight is not None:
        return qwidth, qheight
    return width, height


def _path_size(path: str) -> tuple[int | None, int | None]:
    if match := _GOOGLE.search(path):
        side, width, height = (_int(g) for g in match.groups())
        return (side, side) if side is not None else (width, height)
    style = _DRUPAL_STYLE.search(path)
    named = _STYLE_WIDTH.search(style.group(1)) if style else None
    if named:
        return _int(named.group(1)), None
    if token := _WIDTH_TOKEN.search(path):
        return _int(token.group(1)), None
    pairs = _NAMED_PAIR.findall(path) or [p for p in _PAIR.findall(path) if p not in ASPECTS]
    if pairs:
        width, height = pairs[-1]
        return _int(width) or None, _int(height) or None
    if match := _MAX.search(path):
        return _int(match.group(1)), _int(match.group(2))
    folders = path.split("/")[1:-1]
    options = next((f for f in reversed(folders) if _PARAM_SEGMENT.match(f)), "")
    sizes = dict(_PARAMS.findall(options))
    return _int(sizes.get("w")), _int(sizes.get("h"))


def density(url: str) -> float:
    """The ``@2x`` a file name carries (1.0 without one)."""
    match = _DENSITY.search(urlsplit(url).path)
    return float(match.group(1)) if match else 1.0


def has_size(url: str) -> bool:
    """Whether the URL names a size or a derived style (so an unsized sibling is the original)."""
    return url_size(url) != (None, None) or "/styles/" in url


@lru_cache(maxsize=URLS_CACHED)
def picture_key(url: str) -> str:
    """The URL with size, density, format and signature removed: copies of one picture agree."""
    embedded = _EMBEDDED.search(url, 8)
    if embedded:  # a resizing proxy in front of the original: the original decides
        return picture_key(url[embedded.start() + 1 :])
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    hashes = _HASH.findall(parts.path)
    if hashes:  # a content id names the picture whatever host, folder or rendition serves it
        return f"#{hashes[-1].lower()}/{_distinct_name(parts.path, hashes[-1])}"
    path = _DRUPAL_STYLE.sub("/", parts.path)
    path = _WIDTH_TOKEN.sub("", path)
    path = _GOOGLE.sub("", path)
    path = _MAX.sub("", path)
    path = _DENSITY.sub("", path)
    path = _PAIR.sub("", path)
    *folders, name = path.split("/")
    segments = [
        s for s in folders if not _PARAM_SEGMENT.match(s) and s.lower() not in SIZE_DIRS
    ] + [name]
    path = re.sub(r"[-_.]+(?=/|$)|[-_]+(?=\.[^./]*$)", "", "/".join(segments))
    path = re.sub(r"[-_](?:scaled|thumb|small|medium|large)(?=\.[a-z0-9]+$)", "", path, flags=re.I)
    stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
    query = [(k, v) for k, v in parse_qsl(parts.query) if k.lower() not in COPY_PARAMS]
    return f"{host}{stem.lower()}?{urlencode(sorted(query))}"


def _distinct_name(path: str, content_id: str) -> str:
    """The file name after a content id, unless it is only a size or the id itself (a folder
    of one person's pictures has an id too: the file name then tells them apart)."""
    name = path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0].lower() if "." in name else ""
    if not stem or content_id.lower() in stem or not re.search(r"[a-z]", stem):
        return ""
    return stem


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    digits = value.split(",")[0].split("x")[0].strip()
    return int(digits) if digits.isdigit() and len(digits) <= 5 else None
