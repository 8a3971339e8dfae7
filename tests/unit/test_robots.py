"""robots.txt: RFC 9309 status handling, product-token matching, one fetch per origin."""

from __future__ import annotations

import asyncio

import pytest

from imgharvest.errors import FetchError
from imgharvest.net.http import HttpResponse
from imgharvest.net.robots import RobotsCache, origin, product_token, rules_from

RULES = """User-agent: *
Disallow: /private/

User-agent: imgharvest
Disallow: /private/
Disallow: /no-bots/
Allow: /no-bots/ok.html
"""


class CannedHttp:
    """An ``Http`` that answers robots.txt per origin from a table and counts requests."""

    def __init__(self, answers: dict[str, tuple[int, str] | Exception]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, dict[str, str] | None]] = []

    async def get(
        self,
        url: str,
        *,
        params: dict[str, str | int] | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        self.requests.append((url, headers))
        await asyncio.sleep(0)  # a real client suspends here; concurrent callers interleave
        answer = self.answers[url]
        if isinstance(answer, Exception):
            raise answer
        return HttpResponse(url=url, status=answer[0], headers={}, text=answer[1])


UA = "imgharvest/0.1 (+https://github.com/imgharvest/imgharvest)"


def test_product_token_and_origin() -> None:
    assert product_token(UA) == "imgharvest"
    assert product_token("MyBot") == "MyBot"
    assert product_token("  ") == "*"
    assert origin("HTTPS://Ex.com:8443/a/b?c") == "https://ex.com:8443"


@pytest.mark.parametrize(
    ("status", "allowed"), [(404, True), (410, True), (401, True), (500, False), (503, False)]
)
def test_status_without_rules_means_allow_or_disallow_all(status: int, allowed: bool) -> None:
    assert rules_from(status, "User-agent: *\nDisallow: /") == ("allow" if allowed else "disallow")


async def test_rules_apply_to_our_product_token() -> None:
    http = CannedHttp({"https://ex.com/robots.txt": (200, RULES)})
    robots = RobotsCache(http, UA)
    assert await robots.allowed("https://ex.com/gallery/1.html")
    assert not await robots.allowed("https://ex.com/private/x.html")
    assert not await robots.allowed("https://ex.com/no-bots/page.html")
    assert await robots.allowed("https://ex.com/no-bots/ok.html")
    assert http.requests == [("https://ex.com/robots.txt", {"User-Agent": UA})]


async def test_another_bots_rules_do_not_bind_us() -> None:
    http = CannedHttp({"https://ex.com/robots.txt": (200, RULES)})
    assert not await RobotsCache(http, "otherbot/2.0").allowed("https://ex.com/private/a")
    assert await RobotsCache(http, "otherbot/2.0").allowed("https://ex.com/no-bots/page.html")


async def test_each_origin_is_fetched_once_and_judged_on_its_own() -> None:
    http = CannedHttp(
        {
            "https://ok.example/robots.txt": (404, "not found"),
            "https://down.example/robots.txt": (503, "busy"),
            "http://ok.example/robots.txt": (200, "User-agent: *\nDisallow: /"),
        }
    )
    robots = RobotsCache(http, UA)
    for _ in range(3):
        assert await robots.allowed("https://ok.example/a.html")
        assert not await robots.allowed("https://down.example/a.html")
        assert not await robots.allowed("http://ok.example/a.html")
    assert len(http.requests) == 3


async def test_unreachable_robots_txt_means_disallow_all() -> None:
    http = CannedHttp({"https://gone.example/robots.txt": FetchError("x", "timeout")})
    assert not await RobotsCache(http, UA).allowed("https://gone.example/index.html")


async def test_oversized_robots_txt_is_read_up_to_500_kib() -> None:
    filler = "# " + "x" * 1000 + "\n"
    text = "User-agent: *\nDisallow: /early/\n" + filler * 600 + "Disallow: /late/\n"
    http = CannedHttp({"https://big.example/robots.txt": (200, text)})
    robots = RobotsCache(http, UA)
    assert not await robots.allowed("https://big.example/early/a")
    assert await robots.allowed("https://big.example/late/a")


async def test_concurrent_questions_share_one_fetch() -> None:
    http = CannedHttp({"https://ex.com/robots.txt": (200, RULES)})
    robots = RobotsCache(http, UA)
    urls = [f"https://ex.com/{p}/{i}" for i in range(4) for p in ("a", "private")]
    answers = await asyncio.gather(*(robots.allowed(u) for u in urls))
    assert answers == [True, False] * 4
    assert len(http.requests) == 1
