"""Licence summary of a job's images: ``"312 CC BY, 40 public domain, 148 unknown"``."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

PUBLIC_DOMAIN = ("cc0", "pdm", "public domain", "publicdomain", "no known copyright")
_VERSION = re.compile(r"\s+\d+(\.\d+)?(\s+\w+)?$")


def family(licence: str) -> str:
    """A licence's family without version (``CC BY-SA 4.0`` → ``CC BY-SA``); blank → unknown."""
    text = " ".join(licence.split())
    if not text:
        return "unknown"
    if any(word in text.lower() for word in PUBLIC_DOMAIN):
        return "public domain"
    return _VERSION.sub("", text) or text


def summary(rows: Iterable[Mapping[str, object]]) -> list[tuple[str, int]]:
    """Image counts per licence family, biggest first, ``unknown`` always last."""
    counts = Counter(family(str(row.get("licence") or "")) for row in rows)
    return sorted(counts.items(), key=lambda item: (item[0] == "unknown", -item[1], item[0]))


def sentence(rows: Iterable[Mapping[str, object]]) -> str:
    """The summary as one line."""
    return ", ".join(f"{n} {name}" for name, n in summary(rows))
