"""What ``fetch`` reads: image URLs given on the command line, ``-`` (stdin, one URL a line),
or files holding a URL list as the fleet's URL-list jobs take them: text (one URL a line),
CSV or parquet with a ``url`` column and an optional ``caption``."""

from __future__ import annotations

import sys
from pathlib import Path

from imgharvest.dataset.listitems import ListBounds, ListItem
from imgharvest.dataset.urllist import read_list
from imgharvest.errors import InputError
from imgharvest.sources.base import Candidate

SOURCE = "links"


def read_targets(targets: list[str], bounds: ListBounds | None = None) -> list[Candidate]:
    """The candidates of every target, in order (``InputError`` naming a bad one)."""
    found: list[Candidate] = []
    for target in targets:
        if target.startswith(("http://", "https://")):
            found.append(Candidate(url=target, source=SOURCE))
        elif target == "-":
            found += [Candidate(url=u, source=SOURCE) for u in _lines(sys.stdin.read())]
        elif Path(target).is_file():
            items = read_list(Path(target), Path(target).name, bounds or ListBounds())
            found += [candidate(item) for item in items]
        else:
            raise InputError("urls", f"{target!r} is neither an http(s) URL nor a file")
    if not found:
        raise InputError("urls", "no URLs given")
    return found


def candidate(item: ListItem) -> Candidate:
    """A list's item as a download candidate (its caption goes into the manifest)."""
    return Candidate(url=item.url, source=SOURCE, caption=item.caption or None)


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
