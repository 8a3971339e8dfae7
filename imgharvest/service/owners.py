"""Owner tokens: the credential that lets whoever created a job cancel or retry it by the API.

A token is ``HMAC(secret, nonce)`` with a random nonce kept on the job, the way download links
are made: the database alone never reveals a token, and a replayed creation (the same
``Idempotency-Key``) can answer the same token again. A presented token is compared as bytes,
in constant time, so no text it holds can raise.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

NONCE_BYTES = 16
_CONTEXT = b"imgharvest owner|"


def new_nonce() -> str:
    """A fresh random nonce for a new job."""
    return secrets.token_urlsafe(NONCE_BYTES)


def derive(secret: str, nonce: str) -> str:
    """The owner token of a nonce under a secret (256 bits, URL-safe)."""
    mac = hmac.new(secret.encode(), _CONTEXT + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def matches(secret: str, nonce: str | None, presented: bytes) -> bool:
    """Whether ``presented`` is the token of ``nonce`` (never, for a job without one)."""
    if not nonce:
        return False
    return hmac.compare_digest(presented, derive(secret, nonce).encode())
