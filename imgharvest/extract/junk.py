"""What is not a picture: placeholders, spacers, tracking pixels, tiny icons, blurred previews."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from imgharvest.extract.attrs import IMAGE_EXTENSIONS
from imgharvest.extract.attrs import extension as extension_of
from imgharvest.extract.sizes import url_size

# Words in a file name that mark a stand-in, never the picture itself.
PLACEHOLDER_WORDS = frozenset(
    {
        "blank", "spacer", "transparent", "shim", "leer", "placeholder", "lazyload",
        "loading", "loader", "spinner", "cleardot", "blur", "blurred", "lqip", "1x1",
        "nophoto", "noimage",
    }
)  # fmt: skip
# A file name made only of these words names no picture ("image-lazy.png", "missing-image").
GENERIC_WORDS = frozenset(
    {
        "lazy", "image", "img", "missing", "load", "default", "data", "dummy", "empty",
        "pixel", "gif", "png", "jpg", "jpeg", "svg", "webp", "trans", "clear", "dot", "px",
        "x", "no", "track", "tracking", "tracker", "beacon", "count", "counter", "stats", "hit",
        "analytics", "event",
    }
)  # fmt: skip
# Words that make such a generic name a stand-in or a tracking request ("track.gif").
STAND_IN_WORDS = frozenset(
    {"lazy", "missing", "dummy", "empty", "pixel", "track", "tracking", "tracker", "beacon",
     "count", "counter", "stats", "hit", "analytics", "spacer", "clear"}
)  # fmt: skip
_WORDS = re.compile(r"[a-z0-9]+")
ICON_MAX = 32  # pixels: a stated size this small is a UI icon or a tracker
PREVIEW_MAX = 64  # pixels: a copy this small next to a larger one is a preview
_HIDDEN = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|(?:left|top)\s*:\s*-\d{3,}px"
    r"|(?<![-\w])(?:width|height)\s*:\s*0(?:px)?\s*(?:;|$)",
    re.I,
)
_STYLE_SIDE = re.compile(r"(?<![-\w])(width|height)\s*:\s*(\d+)px", re.I)


def placeholder_url(url: str) -> bool:
    """Whether the URL's file name says it is a stand-in (spacer, lazy-load image, 1x1...)."""
    path = unquote(urlsplit(url).path).lower()
    name = path.rstrip("/").rsplit("/", 1)[-1]
    words = {w for w in _WORDS.findall(name) if not w.isdigit()}
    if words & PLACEHOLDER_WORDS or name in ("1.gif", "0.gif"):
        return True
    if words and words <= GENERIC_WORDS and words & STAND_IN_WORDS:
        return True
    width, height = url_size(url)
    return _tiny(width, height, ICON_MAX)


def tiny_copy(url: str) -> bool:
    """A copy whose URL says it is a thumbnail-sized preview (only fit as nothing at all)."""
    width, height = url_size(url)
    return (width or PREVIEW_MAX + 1) <= PREVIEW_MAX or (height or PREVIEW_MAX + 1) <= PREVIEW_MAX


def beacon(url: str, attrs: Mapping[str, str | None]) -> bool:
    """A bare ``<img>`` (no size, no text, nothing else) asking a script-like address with a
    query: a tracking request, not a picture."""
    if extension_of(url) in IMAGE_EXTENSIONS or not url.split("#", 1)[0].partition("?")[2]:
        return False
    return not any(attrs.get(k) for k in ("width", "height", "alt", "title", "srcset"))


def hidden_or_tiny_element(attrs: Mapping[str, str | None], lazy: bool = False) -> bool:
    """An element drawn at 32 px or less, or not drawn at all: a tracker, icon or spacer.
    A ``lazy`` element (one naming a picture in other attributes than ``src``) may be hidden
    only until its loader runs, so hiding alone does not rule it out."""
    width, height = declared_size(attrs)
    if _tiny(width, height, ICON_MAX):
        return True
    style = attrs.get("style") or ""
    return not lazy and bool(style and _HIDDEN.search(style))


def narrow_box(style: str) -> bool:
    """A box whose style makes one side 32 px or less: its background is a button or a bar."""
    sides = [int(v) for _, v in _STYLE_SIDE.findall(style)]
    return any(side <= ICON_MAX for side in sides)


def declared_size(attrs: Mapping[str, str | None]) -> tuple[int | None, int | None]:
    """The ``width``/``height`` attributes as pixels (None when absent or not a number)."""
    return _pixels(attrs.get("width")), _pixels(attrs.get("height"))


def _pixels(value: str | None) -> int | None:
    text = (value or "").strip().lower().removesuffix("px").strip()
    return int(text) if text.isdigit() else None


def _tiny(width: int | None, height: int | None, limit: int) -> bool:
    """Both stated sides within ``limit``, or one side stated as 0 or 1."""
    if (width is not None and width <= 1) or (height is not None and height <= 1):
        return True
    return width is not None and height is not None and width <= limit and height <= limit
