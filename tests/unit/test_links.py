"""Download links: unguessable tokens, only a digest stored, derivable from secret and nonce."""

from __future__ import annotations

import base64

from imgharvest.service import links


def test_token_has_at_least_128_random_bits_and_is_url_safe() -> None:
    link = links.mint("secret")
    raw = base64.urlsafe_b64decode(link.token + "=" * (-len(link.token) % 4))
    assert len(raw) * 8 >= 128
    assert links.path(link.token) == f"/d/{link.token}"
    assert "/" not in link.token and "+" not in link.token


def test_only_the_digest_and_nonce_are_kept_and_neither_is_the_token() -> None:
    link = links.mint("secret")
    assert link.digest == links.digest(link.token)
    assert link.token not in (link.digest, link.nonce)
    assert len(link.digest) == 64


def test_tokens_differ_per_mint_and_per_secret() -> None:
    first, second = links.mint("secret"), links.mint("secret")
    assert first.token != second.token and first.nonce != second.nonce
    assert links.derive("secret", first.nonce) == first.token
    assert links.derive("other secret", first.nonce) != first.token
