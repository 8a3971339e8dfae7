"""Job history without accounts: the ids of the jobs a browser submitted, in a signed cookie.

The cookie holds ``<id>.<id>…~<HMAC>``, newest first and at most ``KEEP``
ids; a cookie that was altered (or signed with another secret) counts as empty,
and one holding anything but printable ASCII is not ours at all (``readable``).
Ids that no longer exist are simply not shown.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

COOKIE = "imgharvest_jobs"
KEEP = 50
MAX_AGE = 365 * 24 * 3600
_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_CONTEXT = b"imgharvest my-jobs|"


def _mac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), _CONTEXT + payload.encode(), hashlib.sha256).hexdigest()[:32]


def encode(secret: str, ids: Sequence[str]) -> str:
    """The cookie value for ``ids`` (valid ids only, newest first, at most ``KEEP``)."""
    payload = ".".join([i for i in ids if _ID.match(i)][:KEEP])
    return f"{payload}~{_mac(secret, payload)}"


def readable(value: str | None) -> bool:
    """Whether a cookie value could be ours: absent, or printable ASCII of a bounded length."""
    return value is None or (len(value) <= 4096 and value.isascii() and value.isprintable())


def decode(secret: str, value: str | None) -> list[str]:
    """The ids in a cookie value; empty if it is missing, malformed or not ours."""
    payload, sep, mac = (value or "").rpartition("~")
    # bytes: compare_digest raises on a str holding anything but ASCII
    expected = _mac(secret, payload).encode()
    if not sep or not hmac.compare_digest(mac.encode("utf-8", "replace"), expected):
        return []
    ids = [i for i in payload.split(".") if _ID.match(i)] if payload else []
    return ids[:KEEP]


def remember(ids: Sequence[str], job_id: str) -> list[str]:
    """``ids`` with ``job_id`` first (once), cut to ``KEEP``: the oldest fall off."""
    return [job_id, *[i for i in ids if i != job_id]][:KEEP]
