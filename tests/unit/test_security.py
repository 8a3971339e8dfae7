"""CSRF tokens and the sliding-window submit limit, without HTTP."""

from __future__ import annotations

import pytest

from imgharvest.web.security import (
    CSRF_MAX_AGE,
    CsrfError,
    RateLimited,
    RateLimiter,
    check_csrf_token,
    make_csrf_token,
)

NONCE = "n" * 32


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_round_trip() -> None:
    check_csrf_token("secret", NONCE, make_csrf_token("secret", NONCE, now=5000), now=5060)


@pytest.mark.parametrize(
    ("secret", "nonce", "token_now", "check_now", "why"),
    [
        ("other", NONCE, 5000, 5000, "bad token"),
        ("secret", "m" * 32, 5000, 5000, "bad token"),
        ("secret", "", 5000, 5000, "no token"),
        ("secret", NONCE, 5000, 5001 + CSRF_MAX_AGE, "old token"),
    ],
)
def test_token_refused(secret: str, nonce: str, token_now: int, check_now: int, why: str) -> None:
    token = make_csrf_token("secret", NONCE, now=token_now)
    with pytest.raises(CsrfError) as info:
        check_csrf_token(secret, nonce, token, now=check_now)
    assert info.value.status_code == 403 and why in str(info.value.detail)


@pytest.mark.parametrize("token", ["", "abc", "12.", ".abc", "x.y"])
def test_malformed_tokens_refused(token: str) -> None:
    with pytest.raises(CsrfError):
        check_csrf_token("secret", NONCE, token)


def test_sliding_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, window=60, clock=clock)
    assert [limiter.hit("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.hit("a") == 60.0
    assert limiter.hit("b") == 0.0  # other clients are not affected
    clock.now += 30
    assert limiter.hit("a") == 30.0
    clock.now += 30.5  # the first three hits left the window
    assert limiter.hit("a") == 0.0


def test_check_raises_429_with_retry_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, window=60, clock=clock)
    limiter.check("a")
    clock.now += 0.2
    with pytest.raises(RateLimited) as info:
        limiter.check("a")
    assert info.value.status_code == 429
    assert info.value.headers == {"Retry-After": "60"}
    assert "at most 1 per minute" in str(info.value.detail)


def test_refused_hits_do_not_extend_the_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, window=60, clock=clock)
    limiter.hit("a")
    for _ in range(10):
        limiter.hit("a")
    clock.now += 60
    assert limiter.hit("a") == 0.0
