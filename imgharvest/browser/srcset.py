"""The largest candidate of a ``srcset`` as the browser saw it (HTML's srcset grammar, in short)."""

from __future__ import annotations

import re
from urllib.parse import urljoin

_SPACE = " \t\n\f\r"
_DESCRIPTOR = re.compile(r"(\d+(?:\.\d+)?)([wx])$")


def candidates(value: str) -> list[tuple[str, float]]:
    """Each candidate's URL and size (``w`` width, else ``x`` times 1000; 1x when none)."""
    found: list[tuple[str, float]] = []
    pos = 0
    while pos < len(value):
        while pos < len(value) and (value[pos] in _SPACE or value[pos] == ","):
            pos += 1
        start = pos
        while pos < len(value) and value[pos] not in _SPACE:
            pos += 1
        url, descriptors = value[start:pos], ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            end = value.find(",", pos)
            end = len(value) if end < 0 else end
            descriptors, pos = value[pos:end].strip(), end + 1
        if url:
            found.append((url, _size(descriptors)))
    return found


def _size(descriptors: str) -> float:
    for part in descriptors.split():
        match = _DESCRIPTOR.fullmatch(part)
        if match:
            number, unit = float(match.group(1)), match.group(2)
            return number if unit == "w" else number * 1000
    return 1000.0


def largest(value: str, base: str) -> str | None:
    """The absolute URL of the largest candidate, or None for an empty ``srcset``."""
    found = candidates(value)
    if not found:
        return None
    return urljoin(base, max(found, key=lambda c: c[1])[0])
