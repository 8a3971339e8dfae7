"""Who a request comes from: the peer address, or what a trusted proxy says the client is.

Behind proxies one rule holds: the client is the rightmost ``X-Forwarded-For`` address that
is not a trusted proxy, and the header is read only when the peer is in ``TRUSTED_PROXIES``;
from anyone else it is ignored, so a client cannot pick a fresh identity (and a fresh
rate-limit allowance) per request. ``Forwarded`` is never read: proxies append to
``X-Forwarded-For`` but pass a client's own ``Forwarded`` on untouched.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.datastructures import Headers

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_KEY = 64


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    host = text.strip()
    if host.startswith("[") and "]" in host:  # IPv6 with a port
        host = host[1 : host.index("]")]
    elif host.count(":") == 1:  # IPv4 with a port
        host = host.split(":", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _trusted(text: str, proxies: Sequence[Network]) -> bool:
    address = _address(text)
    return address is not None and any(address in net for net in proxies)


def forwarded_chain(headers: Headers) -> list[str]:
    """The client addresses the proxies reported in ``X-Forwarded-For``, nearest last."""
    joined = ",".join(headers.getlist("x-forwarded-for"))
    return [hop.strip() for hop in joined.split(",") if hop.strip()]


def client_address(peer: str | None, headers: Headers, proxies: Sequence[Network]) -> str:
    """The peer, or, behind trusted proxies, the nearest hop that is not one of them."""
    if peer is None:
        return "unknown"
    if not proxies or not _trusted(peer, proxies):
        return peer
    for hop in reversed(forwarded_chain(headers)):
        if not _trusted(hop, proxies):
            address = _address(hop)
            return str(address) if address is not None else hop[:MAX_KEY]
    return peer
