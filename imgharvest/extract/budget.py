"""How much of a page the HTML parser is given: the markup up to a budget of tags and
attributes and of nesting, so no page costs more than its budget in memory or time.

The parser's tree costs some 200 bytes for each element and each attribute, and building it
slows down with depth: each block element looks through every open element, so a page of
nested ``<div>`` costs time by the square of its depth (20,000 deep: about a second; 200,000:
more than ten minutes), and one tag with many attributes by the square of their number. A page
past a budget is read up to the tag that crosses it; the parser closes what is left open.
"""

from __future__ import annotations

import itertools
import re

# Chromium's tree builder nests no deeper either.
MAX_DEPTH = 512
MAX_ATTRIBUTES = 1_000  # on one tag
# Elements that never stay open (void) or are closed by their next sibling (implied ends):
# they add no depth.
NO_DEPTH = frozenset(
    {"area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
     "input", "keygen", "link", "meta", "param", "source", "track", "wbr", "p", "li", "dd", "dt",
     "option", "optgroup", "rb", "rp", "rt", "rtc", "tr", "td", "th", "tbody", "thead", "tfoot",
     "colgroup", "caption", "html", "head", "body"}
)  # fmt: skip
# Their content is text to the parser, never tags.
RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
)
FOREIGN = frozenset({"svg", "math"})
# Below this many tags a page is never scanned: nested all the way, 10,000 elements parse in
# about 0.1 s, and a tag shorter than 10,000 characters holds too few attributes to be slow.
QUICK_TAGS = 10_000
_LONG_TAG = re.compile(r"<[A-Za-z][^>]{10000}")
# A tag and its attributes; a quoted value may hold ">" (as the HTML tokenizer reads it).
# Possessive and unrolled: the regex engine keeps no state per character of a huge tag.
_TOKEN = re.compile(
    r"""<!--|<(/?)([A-Za-z][^\s/>]*+)([^>"']*+(?:(?:"[^"]*+"|'[^']*+')[^>"']*+)*+)>?"""
)
_RAW_END = {name: re.compile(f"</{name}", re.IGNORECASE) for name in RAW_TEXT}
_WORD = re.compile(r"\S+")
SHORT_TAG = 2_000  # characters: split at once; a longer tag is counted without a list
_QUOTED = re.compile(r"""=\s*(?:"[^"]*"|'[^']*')""")


def affordable(html: str, max_items: int) -> tuple[str, str | None]:
    """``html`` up to the first tag past a budget (``max_items`` tags and attributes in all,
    ``MAX_DEPTH`` open elements, ``MAX_ATTRIBUTES`` on one tag), and which budget it crossed;
    the whole of ``html`` and None when it is within every budget."""
    if _harmless(html, max_items):
        return html, None
    scan = _Scan(max_items)
    pos = 0
    while (token := _TOKEN.search(html, pos)) is not None:
        pos = scan.step(html, token)
        if scan.over is not None:
            return html[: token.start()], scan.over
    return html, None


def _harmless(html: str, max_items: int) -> bool:
    """Whether ``html`` is too small to cost much, whatever its shape: few enough tags that
    even nested all the way they parse quickly, too short for ``max_items`` items (each takes
    two characters), and no tag long enough to hold thousands of attributes."""
    return (
        len(html) <= 2 * max_items
        and html.count("<") <= QUICK_TAGS
        and _LONG_TAG.search(html) is None
    )


class _Scan:
    """The running counts of one scan: items, open elements, and the first budget crossed."""

    def __init__(self, max_items: int) -> None:
        self.max_items, self.items, self.depth, self.foreign = max_items, 0, 0, 0
        self.over: str | None = None

    def step(self, html: str, token: re.Match[str]) -> int:
        """Count one token; where the scan goes on (past a comment or raw text)."""
        if token.group(0) == "<!--":  # a node of the tree too
            self.items += 1
            self.over = self._crossed(0)
            end = html.find("-->", token.end())
            return len(html) if end < 0 else end + 3
        closing, name, rest = token.group(1), token.group(2).lower(), token.group(3)
        attributes = _attributes(rest)
        self.items += 1 + attributes
        self._nest(name, bool(closing), rest.endswith("/"))
        self.over = self._crossed(attributes) or _markup_inside(rest)
        if name in RAW_TEXT and not closing:
            close = _RAW_END[name].search(html, token.end())
            return len(html) if close is None else close.start()
        return token.end()

    def _nest(self, name: str, closing: bool, slash: bool) -> None:
        # "<x/>" closes itself only in SVG and MathML; in HTML the slash is ignored.
        if name in NO_DEPTH or (slash and (self.foreign or name in FOREIGN)):
            return
        step = -1 if closing else 1
        self.depth = max(0, self.depth + step)
        if name in FOREIGN:
            self.foreign = max(0, self.foreign + step)

    def _crossed(self, attributes: int) -> str | None:
        if self.items > self.max_items:
            return f"more than {self.max_items:,} tags and attributes"
        if self.depth > MAX_DEPTH:
            return f"elements nested more than {MAX_DEPTH} deep"
        if attributes > MAX_ATTRIBUTES:
            return f"a tag with more than {MAX_ATTRIBUTES:,} attributes"
        return None


def _markup_inside(rest: str) -> str | None:
    """HTML written inside an attribute is parsed on its own (``walk``), as deep as it may
    nest: its tags count as if all were open."""
    tags = rest.count("<")
    if "&" in rest:
        lowered = rest.lower()
        tags += lowered.count("&lt") + lowered.count("&#60") + lowered.count("&#x3c")
    if tags > MAX_DEPTH:
        return f"a tag holding more than {MAX_DEPTH} tags in its attributes"
    return None


def _attributes(rest: str) -> int:
    """About how many attributes a tag's text holds, counted up to one past the limit (a
    quoted value counts once, whatever spaces it holds; spaces around ``=`` may add one)."""
    if '"' in rest or "'" in rest:
        rest = _QUOTED.sub("=", rest)
    if len(rest) < SHORT_TAG:
        return len(rest.split())
    return sum(1 for _ in itertools.islice(_WORD.finditer(rest), MAX_ATTRIBUTES + 1))
