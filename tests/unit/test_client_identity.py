"""Client identity: forwarded headers count only from ``TRUSTED_PROXIES``."""

from __future__ import annotations

import ipaddress

from starlette.datastructures import Headers

from imgharvest.web.client import client_address

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]


def headers(**values: str) -> Headers:
    return Headers({k.replace("_", "-"): v for k, v in values.items()})


def test_untrusted_peer_is_itself_whatever_it_claims() -> None:
    claimed = headers(x_forwarded_for="203.0.113.9", forwarded="for=198.51.100.1")
    assert client_address("192.0.2.7", claimed, PROXIES) == "192.0.2.7"
    assert client_address("192.0.2.7", claimed, []) == "192.0.2.7"


def test_trusted_proxy_names_the_nearest_untrusted_hop() -> None:
    chain = headers(x_forwarded_for="1.2.3.4, 203.0.113.9, 10.1.1.1")
    assert client_address("10.0.0.2", chain, PROXIES) == "203.0.113.9"


def test_the_rightmost_untrusted_hop_of_x_forwarded_for_with_ipv6_and_ports() -> None:
    chain = headers(x_forwarded_for="192.0.2.60:80, [2001:db8::1]:4711, [fd00::5]:1, 10.0.0.5")
    assert client_address("10.0.0.2", chain, PROXIES) == "2001:db8::1"
    assert client_address("10.0.0.2", headers(x_forwarded_for="192.0.2.60:80"), PROXIES) == (
        "192.0.2.60"
    )


def test_a_client_sent_forwarded_header_is_never_read() -> None:
    # A proxy appends to X-Forwarded-For and passes the client's own Forwarded on untouched.
    for forwarded in ("for=198.51.100.1", 'for="[2001:db8::9]"', "for=10.9.9.9, for=1.1.1.1"):
        sent = headers(forwarded=forwarded, x_forwarded_for="203.0.113.9")
        assert client_address("10.0.0.2", sent, PROXIES) == "203.0.113.9"
    assert client_address("10.0.0.2", headers(forwarded="for=198.51.100.1"), PROXIES) == (
        "10.0.0.2"
    )


def test_trusted_proxy_without_headers_is_the_client() -> None:
    assert client_address("10.0.0.2", headers(), PROXIES) == "10.0.0.2"
    assert client_address(None, headers(), PROXIES) == "unknown"
