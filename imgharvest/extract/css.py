"""CSS to image URLs: a small tokeniser for ``url(...)`` in background declarations."""

from __future__ import annotations

import re
from collections.abc import Iterator

QUOTES = "\"'"
_SPECIAL = re.compile(r"[\"'()\\;{}]")
_URL_OPEN = re.compile(r"url\(", re.I)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
# Properties whose url() values are pictures (fonts, cursors and masks are not).
IMAGE_PROPERTIES = ("background", "background-image", "content")


def css_background_urls(css: str) -> Iterator[str]:
    """URLs in ``background``/``background-image`` declarations of a style sheet or attribute."""
    if "url(" not in css.lower():
        return
    for name, value in declarations(css):
        if name in IMAGE_PROPERTIES or (name.startswith("--") and "url(" in value.lower()):
            yield from url_tokens(value)


def declarations(css: str) -> Iterator[tuple[str, str]]:
    """``(property, value)`` pairs holding a ``url()``; ``;``, ``{`` and ``}`` inside quotes or
    parentheses are text."""
    css = _COMMENT.sub(" ", css) if "/*" in css else css
    start, depth, quote, skip = 0, 0, "", -1
    for match in _SPECIAL.finditer(css):
        pos, char = match.start(), match.group()
        if pos <= skip:
            continue
        if quote:
            if char == "\\":
                skip = pos + 1
            elif char == quote:
                quote = ""
        elif char in QUOTES:
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        elif char in ";{}" and depth == 0:
            yield from _declaration(css, start, pos)
            start = pos + 1
    yield from _declaration(css, start, len(css))


def _declaration(css: str, start: int, end: int) -> Iterator[tuple[str, str]]:
    if not _URL_OPEN.search(css, start, end):
        return  # only declarations with a url() matter here
    name, colon, value = css[start:end].partition(":")
    if colon and name.strip():
        yield name.strip().lower(), value


def url_tokens(value: str) -> Iterator[str]:
    """Every ``url(...)`` argument in ``value``, quoted or not, escapes undone."""
    lower, pos = value.lower(), 0
    while (pos := lower.find("url(", pos)) >= 0:
        pos += 4
        while pos < len(value) and value[pos].isspace():
            pos += 1
        if pos < len(value) and value[pos] in QUOTES:
            url, pos = _quoted(value, pos)
        else:
            end = value.find(")", pos)
            end = len(value) if end < 0 else end
            url, pos = value[pos:end].strip(), end
        if url:
            yield url


def _quoted(value: str, pos: int) -> tuple[str, int]:
    """The string starting at the quote at ``pos`` (backslash escapes undone), and the end."""
    quote, out, pos = value[pos], [], pos + 1
    while pos < len(value) and value[pos] != quote:
        if value[pos] == "\\" and pos + 1 < len(value):
            pos += 1
            if value[pos] != "\n":
                out.append(value[pos])
        else:
            out.append(value[pos])
        pos += 1
    return "".join(out).strip(), pos + 1
