"""The network guard: numeric host forms, IPv6, mapped addresses, ranges, allowed networks, DNS."""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, ip_address, ip_network

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from imgharvest.errors import GuardError
from imgharvest.net.guard import GuardedResolver, NetworkGuard, parse_host

LOOPBACK = IPv4Address("127.0.0.1")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("167772161", "10.0.0.1"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("0", "0.0.0.0"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("[::ffff:7f00:1]", "::ffff:7f00:1"),
        ("fe80::1%eth0", "fe80::1"),
    ],
)
def test_parse_host_reads_every_numeric_form(host: str, expected: str) -> None:
    assert parse_host(host) == ip_address(expected)


@pytest.mark.parametrize(
    "host",
    ["example.com", "localhost", "08.0.0.1", "1_0", "+1", " 1", "127..1", "1.2.3.4.5", "256.1.1.1",
     "4294967296", "0x", "cafe", "127.0.0.256"],
)  # fmt: skip
def test_parse_host_leaves_names_and_invalid_forms_alone(host: str) -> None:
    assert parse_host(host) is None


@pytest.mark.parametrize(
    ("ip", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("fc00::1", "private"),
        ("100.64.0.1", "non-global"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
    ],
)
def test_refuses_non_public_addresses(ip: str, why: str) -> None:
    guard = NetworkGuard()
    with pytest.raises(GuardError) as info:
        guard.check_address(ip_address(ip))
    assert why in str(info.value)
    assert "blocked address" in info.value.reason


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_allows_public_addresses(ip: str) -> None:
    assert NetworkGuard().refusal(ip_address(ip)) is None


def test_allowed_networks_exempt_only_their_ranges() -> None:
    guard = NetworkGuard([ip_network("127.0.0.0/8")])
    assert guard.refusal(LOOPBACK) is None
    assert guard.refusal(ip_address("127.9.9.9")) is None
    assert guard.refusal(ip_address("::ffff:127.0.0.1")) is None
    assert guard.refusal(ip_address("::1")) is not None
    assert guard.refusal(ip_address("10.0.0.1")) is not None


def test_a_single_allowed_host_does_not_open_its_neighbours() -> None:
    guard = NetworkGuard([ip_network("127.0.0.1/32")])
    assert guard.refusal(LOOPBACK) is None
    assert guard.refusal(ip_address("127.0.0.2")) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://017700000001/",
        "http://127.1/",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "https://user:pw@0xa9fea9fe/",
    ],
)
async def test_check_url_refuses_literal_hosts_without_dns(url: str) -> None:
    guard = NetworkGuard()
    with pytest.raises(GuardError):
        await guard.check_url(url, resolve=False)


@pytest.mark.parametrize("url", ["ftp://example.com/a.jpg", "file:///etc/passwd", "gopher://x/"])
async def test_check_url_refuses_other_schemes(url: str) -> None:
    with pytest.raises(GuardError, match="scheme"):
        await NetworkGuard().check_url(url)


async def test_check_url_resolves_names_to_their_addresses() -> None:
    with pytest.raises(GuardError, match=r"127\.0\.0\.1"):
        await NetworkGuard().check_url("http://localhost/x.jpg")
    await NetworkGuard([ip_network("127.0.0.0/8")]).check_url("http://localhost/x.jpg")


async def test_check_url_passes_public_literals() -> None:
    await NetworkGuard().check_url("https://93.184.216.34/a.jpg")


class FixedResolver(AbstractResolver):
    """A DNS seam: every name resolves to the given addresses."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.closed = False

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host=a,
                port=port,
                family=socket.AF_INET6 if ":" in a else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for a in self.addresses
        ]

    async def close(self) -> None:
        self.closed = True


async def test_resolver_refuses_a_name_whose_answers_are_all_blocked() -> None:
    resolver = GuardedResolver(NetworkGuard(), FixedResolver("127.0.0.1", "::1"))
    with pytest.raises(GuardError, match=r"127\.0\.0\.1"):
        await resolver.resolve("rebind.example", 80)


async def test_resolver_drops_blocked_answers_and_keeps_public_ones() -> None:
    resolver = GuardedResolver(NetworkGuard(), FixedResolver("10.0.0.1", "93.184.216.34"))
    answers = await resolver.resolve("mixed.example", 443)
    assert [a["host"] for a in answers] == ["93.184.216.34"]


async def test_resolver_keeps_allowed_networks() -> None:
    guard = NetworkGuard([ip_network("10.0.0.0/8")])
    answers = await GuardedResolver(guard, FixedResolver("10.1.2.3")).resolve("intranet", 80)
    assert [a["host"] for a in answers] == ["10.1.2.3"]


async def test_resolver_closes_its_inner_resolver() -> None:
    inner = FixedResolver("93.184.216.34")
    await GuardedResolver(NetworkGuard(), inner).close()
    assert inner.closed
