"""What a request's text and URL fields may hold: text without control or bidi-override
characters, and http(s) URLs with a real host name and a port in range."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from imgharvest.errors import InputError

MAX_URL_LENGTH = 2048
# C0 controls but tab and line ends, DEL and C1; the bidi embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069), which reorder the text shown around them.
_BIDI = r"\u202a-\u202e\u2066-\u2069"
_NOT_IN_TEXT = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + _BIDI
_NOT_IN_URL = r"\x00-\x20\x7f-\x9f" + _BIDI  # and no space either
_FORBIDDEN = re.compile(f"[{_NOT_IN_TEXT}]")
_CONTROL_IN_URL = re.compile(f"[{_NOT_IN_URL}]")
# The same rules as patterns of the API schema (ECMA-262 regular expressions).
TEXT_PATTERN = f"^[^{_NOT_IN_TEXT}]*$"
URL_PATTERN = f"^[Hh][Tt][Tt][Pp][Ss]?://[^{_NOT_IN_URL}]+$"
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_NAMES = {"\x00": "a NUL", "\x1b": "an ESC"}


def checked_text(key: str, value: object, label: str | None = None) -> str:
    """``value`` as text: a string with no control or bidi-override character and no lone
    surrogate, else ``InputError`` naming ``key``."""
    name = label or key
    if not isinstance(value, str):
        raise InputError(key, f"{name} must be text")
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        raise InputError(key, f"{name} contains {_character(bad.group())}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(key, f"{name} contains an invalid character (lone surrogate)") from None
    return value


def _character(char: str) -> str:
    if char in _NAMES:
        return f"{_NAMES[char]} character"
    if "\u202a" <= char <= "\u2069":
        return f"a bidi control character (U+{ord(char):04X})"
    return f"a control character (U+{ord(char):04X})"


def url_problem(url: str) -> str | None:
    """Why ``url`` is not an http(s) URL with a valid host and port, without spaces or control
    characters (None when it is), in words that follow the URL."""
    if len(url) > MAX_URL_LENGTH:
        return f"is longer than {MAX_URL_LENGTH} characters"
    if _CONTROL_IN_URL.search(url):
        return "contains a space or a control character"
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed or malformed "[" IPv6 literal
        return "has an invalid host name"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL"
    if not valid_host(parts.hostname):
        return "has an invalid host name"
    try:
        port = parts.port
    except ValueError:
        port = -1
    return None if port is None or 1 <= port <= 65535 else "has a port outside 1-65535"


def checked_url(url: str, key: str = "urls") -> str:
    """``url`` if it has no ``url_problem``, else ``InputError`` naming ``key`` and the cause."""
    why = url_problem(url)
    if why is not None:
        raise InputError(key, f"{url[:80]!r} {why}")
    return url


def valid_host(host: str) -> bool:
    """An IP address, or a DNS name whose labels (after IDNA) are letters, digits, ``-``, ``_``."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return len(ascii_host) <= 253 and all(_LABEL.fullmatch(label) for label in labels)
