"""Licences: source wording normalised to SPDX-like names, policies, and summaries.

Sources word licences their own way ("CC BY-SA 2.0", slug ``by-sa`` + ``2.0``,
"Public domain", a Flickr id's name). ``normalise`` maps them to SPDX-style
identifiers (``CC-BY-SA-2.0``, ``CC0-1.0``, ``PDM-1.0``...) and falls back to the
licence URL; what it cannot read is ``unknown``, never guessed.

Policies: ``open`` keeps free-content licences (Creative Commons of any kind,
CC0, public domain, GFDL); ``commercial`` keeps what allows commercial use
(no ``NC``), including the stock-photo sites' own licences; ``any`` keeps all.

Summaries group licences by family: ``"312 CC BY, 40 public domain, 148 unknown"``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

UNKNOWN = "unknown"
POLICIES = ("any", "open", "commercial")
# Beyond this share of unknown licences a summary carries a warning.
UNKNOWN_WARNING_SHARE = 0.5

_CC_WORDS = re.compile(r"^(?:cc[\s-]*)?((?:by|nc|sa|nd)(?:[\s-]+(?:by|nc|sa|nd))*)\b[\s-]*(.*)$")
_VERSION = re.compile(r"(\d+(?:\.\d+)?)")
# Only a version (and a jurisdiction) may follow the elements: "by John" is no licence.
_VERSION_ONLY = re.compile(r"^(?:\d+(?:\.\d+)?(?:\s.*)?)?$")
_CC_URL = re.compile(r"creativecommons\.org/licenses/([a-z-]+)/(\d+(?:\.\d+)?)")
_PUBLIC_DOMAIN = {
    "public domain": "public-domain",
    "pd": "public-domain",
    "no known copyright restrictions": "public-domain",
    "united states government work": "public-domain",
    "public domain mark": "PDM-1.0",
    "public domain mark 1.0": "PDM-1.0",
    "pdm": "PDM-1.0",
    "pdm 1.0": "PDM-1.0",
    "cc0": "CC0-1.0",
    "cc0 1.0": "CC0-1.0",
    "cc zero": "CC0-1.0",
}
_PLAIN = {
    "all rights reserved": "all-rights-reserved",
    "pexels license": "Pexels",
    "pexels": "Pexels",
    "pixabay content license": "Pixabay",
    "pixabay license": "Pixabay",
    "pixabay": "Pixabay",
    "unsplash license": "Unsplash",
    "unsplash": "Unsplash",
    "gfdl": "GFDL-1.3",
}
_STOCK = frozenset({"Pexels", "Pixabay", "Unsplash"})


def normalise(name: str | None, url: str | None = None) -> str:
    """The SPDX-like identifier for a source's licence words (or its URL), else ``unknown``."""
    text = " ".join((name or "").lower().replace("_", " ").split())
    found = _from_words(text) if text else None
    if found is None and url:
        found = _from_url(url.lower())
    return found or UNKNOWN


def _from_words(text: str) -> str | None:
    if text in _PUBLIC_DOMAIN:
        return _PUBLIC_DOMAIN[text]
    if text in _PLAIN:
        return _PLAIN[text]
    if text.startswith("gfdl") or text.startswith("gnu free documentation"):
        return "GFDL-1.3"
    if text.startswith("cc0") or text.startswith("cc-zero"):
        return "CC0-1.0"
    match = _CC_WORDS.match(text)
    if match is None or "by" not in match.group(1) or not _VERSION_ONLY.match(match.group(2)):
        return None
    parts = "-".join(p.upper() for p in re.split(r"[\s-]+", match.group(1)))
    version = _VERSION.search(match.group(2))
    return f"CC-{parts}-{_dotted(version.group(1))}" if version else f"CC-{parts}"


def _from_url(url: str) -> str | None:
    if "publicdomain/zero" in url:
        return "CC0-1.0"
    if "publicdomain/mark" in url:
        return "PDM-1.0"
    match = _CC_URL.search(url)
    if match is None:
        return None
    return f"CC-{match.group(1).upper()}-{_dotted(match.group(2))}"


def _dotted(version: str) -> str:
    return version if "." in version else f"{version}.0"


def is_open(licence: str) -> bool:
    """A free-content licence: Creative Commons, CC0, public domain or GFDL."""
    return licence.startswith(("CC-", "CC0", "PDM", "GFDL")) or licence == "public-domain"


def allows_commercial(licence: str) -> bool:
    """Commercial use allowed: open without ``NC``, or a stock site's own licence."""
    return (is_open(licence) and "-NC" not in licence) or licence in _STOCK


def allowed(policy: str, licence: str) -> bool:
    """Whether a normalised ``licence`` passes ``policy`` (``any`` passes everything)."""
    if policy == "open":
        return is_open(licence)
    if policy == "commercial":
        return allows_commercial(licence)
    return True


def check_policy(policy: str) -> str:
    """``policy`` lower-cased if known; otherwise ``ValueError`` naming the choices."""
    value = policy.strip().lower()
    if value not in POLICIES:
        raise ValueError(f"must be one of {', '.join(POLICIES)}, not {policy[:20]!r}")
    return value


def tally(licences: Iterable[str]) -> tuple[Counter[str], str]:
    """Counts per licence, and a warning when most are unknown (empty when not)."""
    counts = Counter(licences)
    total = sum(counts.values())
    unknown = counts.get(UNKNOWN, 0)
    if total and unknown / total > UNKNOWN_WARNING_SHARE:
        share = round(100 * unknown / total)
        return counts, f"licence unknown for {share}% of images: check before reuse"
    return counts, ""


def summary_line(licences: Iterable[str]) -> str:
    """``licences: 3 CC BY, 2 unknown`` plus the warning, for job summaries and emails."""
    names = list(licences)
    _, warning = tally(names)
    if not names:
        return ""
    line = "licences: " + sentence({"licence": name} for name in names)
    return f"{line} (warning: {warning})" if warning else line


def without_summary_line(summary: str) -> str:
    """A job summary without the clause ``summary_line`` added (for pages showing it apart)."""
    return summary.split("; licences: ", 1)[0]


def warning_of(rows: Iterable[Mapping[str, object]]) -> str:
    """The warning ``tally`` gives for these rows' licences (a blank licence is unknown)."""
    return tally(str(row.get("licence") or UNKNOWN) for row in rows)[1]


PUBLIC_DOMAIN = (
    "cc0", "pdm", "public domain", "publicdomain", "public-domain", "no known copyright",
)  # fmt: skip
_FAMILY_VERSION = re.compile(r"\s+\d+(\.\d+)?(\s+\w+)?$")
# SPDX-like names: CC-BY-SA-4.0 -> CC BY-SA
_SPDX_CC = re.compile(r"^CC-((?:BY|NC|SA|ND)(?:-(?:BY|NC|SA|ND))*)(?:-\d+(?:\.\d+)?)?$")


def family(licence: str) -> str:
    """A licence's family without version (``CC BY-SA 4.0`` → ``CC BY-SA``); blank → unknown."""
    text = " ".join(licence.split())
    if not text:
        return "unknown"
    if any(word in text.lower() for word in PUBLIC_DOMAIN):
        return "public domain"
    spdx = _SPDX_CC.match(text)
    if spdx is not None:
        return f"CC {spdx.group(1)}"
    return _FAMILY_VERSION.sub("", text) or text


def summary(rows: Iterable[Mapping[str, object]]) -> list[tuple[str, int]]:
    """Image counts per licence family, biggest first, ``unknown`` always last."""
    counts = Counter(family(str(row.get("licence") or "")) for row in rows)
    return sorted(counts.items(), key=lambda item: (item[0] == "unknown", -item[1], item[0]))


def sentence(rows: Iterable[Mapping[str, object]]) -> str:
    """The summary as one line."""
    return ", ".join(f"{n} {name}" for name, n in summary(rows))
