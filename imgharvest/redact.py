"""Log lines without the requester's words: a job's query (every URL spelling) is ``[query]``.

Event rows keep the full text (they are deleted at expiry); log files are not
rewritten, so what they get is redacted when written. Addresses are masked by
``logging_setup`` on every line.
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
