"""Download links: random tokens of which only a SHA-256 digest is stored.

A token is ``HMAC(secret, nonce)`` with a random 128-bit nonce kept on the
job: the job page (reachable by its unguessable id) and the finished email
can show the link again, while the database alone never reveals it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

NONCE_BYTES = 16


@dataclass(frozen=True, slots=True)
class Link:
    """A minted link: the token for the URL, its digest and nonce for the database."""

    token: str
    digest: str
    nonce: str


def derive(secret: str, nonce: str) -> str:
    """The token of a nonce under a secret (256 bits, URL-safe)."""
    mac = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def mint(secret: str) -> Link:
    """A new link with a fresh random nonce."""
    nonce = secrets.token_urlsafe(NONCE_BYTES)
    token = derive(secret, nonce)
    return Link(token=token, digest=digest(token), nonce=nonce)


def path(token: str) -> str:
    """The URL path a token is served under."""
    return f"/d/{token}"
