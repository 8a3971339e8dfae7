"""Who a request comes from: the peer address, or what a trusted proxy says the client is.

``X-Forwarded-For`` and ``Forwarded`` are read only when the peer is in
``TRUSTED_PROXIES``; from anyone else they are ignored, so a client cannot
pick a fresh identity (and a fresh rate-limit allowance) per request.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from starlette.datastructures import Headers

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FOR = re.compile(r'for="?\[?([^\]";,]+)', re.I)
MAX_KEY = 64


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    host = text.strip()
    if host.count(":") == 1:  # IPv4 with a port
        host = host.split(":", 1)[0]
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _trusted(text: str, proxies: Sequence[Network]) -> bool:
    address = _address(text)
    return address is not None and any(address in net for net in proxies)


def forwarded_chain(headers: Headers) -> list[str]:
    """The client addresses the proxies reported, nearest last (``Forwarded`` wins)."""
    forwarded = headers.getlist("forwarded")
    if forwarded:
        return [m.group(1) for m in _FOR.finditer(",".join(forwarded))]
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
