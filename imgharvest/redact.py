"""Masking what must not be shown or logged: a job's query (every URL spelling) becomes
``[query]`` in log lines, URLs lose their query strings there, and secrets inside URLs
(``http://user:pass@host``) are hidden.

Event rows keep the query and whole URLs (they are deleted at expiry); log files are not
rewritten, so what they get is redacted when written. Addresses are masked by
``logging_setup``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "[query]"
MIN_LENGTH = 3  # shorter queries would blank out unrelated words


def spellings(text: str) -> list[str]:
    """``text`` as typed and as it appears in URLs, longest first."""
    forms = {text, quote(text, safe=""), quote_plus(text), quote(text), text.replace(" ", "+")}
    return sorted((f for f in forms if len(f) >= MIN_LENGTH), key=len, reverse=True)


def terms(request: dict[str, object]) -> list[str]:
    """What to hide from log lines of a job with this request: its search query."""
    query = request.get("query")
    return spellings(str(query)) if isinstance(query, str) and query.strip() else []


def redact(message: str, hidden: Iterable[str]) -> str:
    """``message`` with every hidden term masked (case-insensitively)."""
    for term in hidden:
        message = re.sub(re.escape(term), MASK, message, flags=re.IGNORECASE)
    return message


USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@]+@")


def mask_credentials(text: str) -> str:
    """``http://user:pass@host/x`` → ``http://***@host/x`` (anywhere in ``text``)."""
    return USERINFO.sub(r"\1***@", text)


TOKEN = re.compile(r"\S+")
HIDDEN = "[…]"
CLOSERS = "'\")]>,;."


def mask_query_strings(text: str) -> str:
    """``https://host/page?token=x#top`` → ``https://host/page?[…]`` anywhere in ``text`` (a
    page's query string or fragment may name its visitor, and log files outlive the job).
    One pass over the words: linear whatever the text."""
    return TOKEN.sub(_masked_url, text) if "://" in text else text


def _masked_url(word: re.Match[str]) -> str:
    token = word.group()
    scheme = token.find("://")
    cuts = [i for i in (token.find("?", scheme), token.find("#", scheme)) if i >= 0]
    if scheme <= 0 or not cuts:
        return token
    closers = token[len(token.rstrip(CLOSERS)) :]
    return token[: min(cuts) + 1] + HIDDEN + closers
