"""Safe names: slugs and archive member names built only from sanitised text."""

from __future__ import annotations

import re
import unicodedata

DEFAULT_SLUG = "images"

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_EXT = re.compile(r"[a-z0-9]{1,8}")
# Device names Windows refuses as file names, whatever the extension.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)


def slugify(text: str, max_len: int = 40) -> str:
    """ASCII, lowercase, ``-``-separated slug of ``text``; never empty, never a path."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    slug = slug[: max(max_len, 1)].rstrip("-")
    if not slug or slug in _RESERVED:
        return DEFAULT_SLUG if not slug else f"{slug}-{DEFAULT_SLUG}"
    return slug


def file_stem(text: str, max_len: int = 40) -> str:
    """A file name stem for ``text``: its ASCII slug, or for text in other scripts a UTF-8 slug
    keeping their letters (``кошки``, ``猫``), so different queries get different names.

    Only letters, marks and digits of any script survive, joined by ``-``: never a path,
    a dot file or a device name.
    """
    ascii_slug = slugify(text, max_len)
    if text.isascii():
        return ascii_slug
    kept = "".join(c if unicodedata.category(c)[0] in "LMN" else "-" for c in _nfkc(text))
    slug = re.sub("-+", "-", kept).strip("-")[: max(max_len, 1)].rstrip("-")
    return slug if slug and slug not in _RESERVED else ascii_slug


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def index_width(count: int) -> int:
    """Digits for zero-padded indexes of ``count`` items: 4, more beyond 9999."""
    return max(4, len(str(count)))


def member_name(index: int, width: int, slug: str, ext: str) -> str:
    """``images/0001_<slug>.<ext>``; slug and extension are sanitised again here."""
    clean_ext = ext.lower().lstrip(".")
    if not _EXT.fullmatch(clean_ext):
        clean_ext = "bin"
    return f"images/{index:0{width}d}_{slugify(slug)}.{clean_ext}"
