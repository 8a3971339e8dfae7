"""Job history without accounts: the ids of the jobs a browser submitted, in a signed cookie.

The cookie holds ``<id>.<id>…~<HMAC>``, newest first and at most ``KEEP``
ids; a cookie that was altered (or signed with another secret) counts as empty.
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


def decode(secret: str, value: str | None) -> list[str]:
    """The ids in a cookie value; empty if it is missing, malformed or not ours."""
    payload, sep, mac = (value or "").rpartition("~")
    if not sep or not hmac.compare_digest(mac, _mac(secret, payload)):
        return []
    ids = [i for i in payload.split(".") if _ID.match(i)] if payload else []
    return ids[:KEEP]


def remember(ids: Sequence[str], job_id: str) -> list[str]:
    """``ids`` with ``job_id`` first (once), cut to ``KEEP``: the oldest fall off."""
    return [job_id, *[i for i in ids if i != job_id]][:KEEP]
