"""URL templates a script completes (``pic-{{size}}.jpg``, ``/{width}/pic.jpg``): filled from the
sizes the same element names, never returned with a placeholder still in them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from imgharvest.extract.attrs import Found, loose_numbers

# "{{size}}", "{{ width }}", "{width}", and the same percent-encoded by a CMS.
PLACEHOLDER = re.compile(
    r"\{\{\s*([a-z_]*)\s*\}\}|\{([a-z_]*)\}|%7B%7B\s*([a-z_]*)\s*%7D%7D|%7B([a-z_]*)%7D", re.I
)
# Any trace of a template left in a URL ("}}", "%7B%7B", an unfilled "{width}").
UNFILLED = re.compile(r"\{\{|\}\}|%7B%7B|%7D%7D|\{[a-z_]*\}|%7B[a-z_]*%7D", re.I)
# Placeholder names a width fills (a height or crop name cannot be guessed).
WIDTH_NAMES = frozenset({"", "size", "width", "w", "s", "wid", "imagewidth", "img_width"})
MAX_WIDTHS = 5  # the largest sizes filled into one template (the rest are never fetched)


def is_template(value: str) -> bool:
    return ("{" in value or "%7" in value.upper()) and bool(PLACEHOLDER.search(value))


def unfilled(url: str) -> bool:
    """Whether a URL still holds a template placeholder (it names no real file)."""
    return ("{" in url or "}" in url or "%7" in url.upper()) and bool(UNFILLED.search(url))


def filled(value: str, attrs: Mapping[str, str | None]) -> Iterator[Found]:
    """One copy per width the element names (``data-widths="[320,640]"``, ``data-width``),
    all copies of one picture; nothing when a placeholder is not a width or no width is given."""
    names = {_name(m) for m in PLACEHOLDER.finditer(value)}
    if not names <= WIDTH_NAMES:
        return
    for width in element_widths(attrs)[:MAX_WIDTHS]:
        url = PLACEHOLDER.sub(str(width), value)
        if not unfilled(url):
            yield Found(url.strip(), width)


def _name(match: re.Match[str]) -> str:
    return next((g for g in match.groups() if g is not None), "").lower()


def element_widths(attrs: Mapping[str, str | None]) -> list[int]:
    """The widths an element's attributes name (``*widths``, ``*sizes``, ``*width``), largest
    first; the ``sizes`` and ``width`` of the layout are not read."""
    widths: set[int] = set()
    for name, value in attrs.items():
        lower = name.lower()
        if value and lower.startswith("data-") and ("width" in lower or "size" in lower):
            widths.update(loose_numbers(value))
    return sorted(widths, reverse=True)
