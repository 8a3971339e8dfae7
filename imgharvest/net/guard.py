"""The network guard (SSRF): which addresses a fetch may connect to, checked on every hop.

Every URL host is parsed the way a C resolver would read it (``2130706433``,
``0x7f000001``, ``017700000001``, ``127.1``, bracketed IPv6, IPv4-mapped IPv6)
and every DNS answer is filtered by ``GuardedResolver`` at connect time, so the
address checked is the address connected (DNS-rebinding safe).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Sequence
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from imgharvest.errors import FetchError, GuardError

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

SCHEMES = frozenset({"http", "https"})
_HEX = re.compile(r"0[xX][0-9a-fA-F]+")
_OCTAL = re.compile(r"0[0-7]*")
_DECIMAL = re.compile(r"[1-9][0-9]*")
_RANGES = (
    ("unspecified", "is_unspecified"),
    ("loopback", "is_loopback"),
    ("link-local", "is_link_local"),
    ("multicast", "is_multicast"),
    ("private", "is_private"),
    ("reserved", "is_reserved"),
)


def _number(part: str) -> int | None:
    """One component of a legacy IPv4 form: decimal, octal (leading 0) or hex (0x), else None."""
    if _HEX.fullmatch(part):
        return int(part[2:], 16)
    if _OCTAL.fullmatch(part):
        return int(part, 8)
    return int(part) if _DECIMAL.fullmatch(part) else None


def parse_ipv4_legacy(host: str) -> IPv4Address | None:
    """The IPv4 address ``inet_aton`` would read from ``host`` (1 to 4 parts), or None."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_number(p) for p in parts]
    if None in numbers:
        return None
    *head, last = (n for n in numbers if n is not None)
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        return None
    value = last
    for i, n in enumerate(head):
        value |= n << (8 * (3 - i))
    return IPv4Address(value)


def parse_host(host: str) -> Address | None:
    """The address a URL host denotes when it is an IP literal in any form, else None (a name)."""
    bare = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return parse_ipv4_legacy(bare)


def unwrap(ip: Address) -> Address:
    """The IPv4 address inside an IPv4-mapped IPv6 address (what the socket really reaches)."""
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def blocked_range(ip: Address) -> str | None:
    """Why ``ip`` is not a public unicast address (its range's name), or None if it is."""
    for name, attribute in _RANGES:
        if getattr(ip, attribute):
            return name
    return None if ip.is_global else "non-global"


def never_resolves(host: str) -> bool:
    """``.invalid`` names, which RFC 6761 (6.4) has resolvers answer at once with "no such
    name", without asking any server."""
    name = host.lower().rstrip(".")
    return name == "invalid" or name.endswith(".invalid")


class NetworkGuard:
    """Refuses non-public addresses unless they fall in the allowed networks."""

    def __init__(self, allowed: Sequence[Network] = ()) -> None:
        self.allowed = tuple(allowed)
        # Every hop checks its host; a job sees few distinct hosts, so verdicts are cached.
        self._host_refusal = lru_cache(maxsize=4096)(self._literal_refusal)

    def refusal(self, ip: Address) -> str | None:
        """Why ``ip`` is refused, or None when it may be connected to."""
        real = unwrap(ip)
        if any(real in net or ip in net for net in self.allowed):
            return None
        why = blocked_range(real)
        return f"{ip} is {why}" if why else None

    def check_address(self, ip: Address, url: str = "") -> None:
        """Raise ``GuardError`` when ``ip`` is refused."""
        why = self.refusal(ip)
        if why is not None:
            raise GuardError(url or str(ip), f"blocked address: {why}")

    def check_literal(self, url: URL) -> str:
        """Check scheme and an IP-literal host without any I/O; return the host."""
        if url.scheme not in SCHEMES:
            raise GuardError(str(url), f"blocked scheme: {url.scheme or 'none'}")
        host = url.raw_host
        if not host:
            raise GuardError(str(url), "blocked address: no host")
        why = self._host_refusal(host)
        if why is not None:
            raise GuardError(str(url), f"blocked address: {why}")
        return host

    def _literal_refusal(self, host: str) -> str | None:
        ip = parse_host(host)
        return None if ip is None else self.refusal(ip)

    async def check_url(self, url: str | URL, *, resolve: bool = True) -> None:
        """Check a URL's scheme and host; names are resolved and every answer checked.

        The fetcher passes ``resolve=False``: its ``GuardedResolver`` checks names
        at connect time, on the very addresses it connects to.
        """
        parsed = url if isinstance(url, URL) else URL(url)
        host = self.check_literal(parsed)
        if resolve and parse_host(host) is None:
            try:
                await GuardedResolver(self).resolve(host, parsed.port or 0, socket.AF_UNSPEC)
            except OSError as exc:
                raise FetchError(str(parsed), "connection") from exc


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that drops every DNS answer the guard refuses.

    When no answer is left the lookup fails with ``GuardError`` before any
    connection is attempted.
    """

    def __init__(self, guard: NetworkGuard, inner: AbstractResolver | None = None) -> None:
        self.guard = guard
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host`` with the inner resolver and keep only allowed addresses."""
        if never_resolves(host):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = await self._resolver().resolve(host, port, family)
        kept = [a for a in answers if self._allowed(a)]
        if not kept:
            found = ", ".join(a["host"] for a in answers) or "nothing"
            raise GuardError(host, f"blocked address: name resolves to {found}")
        return kept

    def _allowed(self, answer: ResolveResult) -> bool:
        return self.guard.refusal(ipaddress.ip_address(answer["host"].split("%", 1)[0])) is None

    def _resolver(self) -> AbstractResolver:
        if self._inner is None:
            from aiohttp import ThreadedResolver

            self._inner = ThreadedResolver(asyncio.get_running_loop())
        return self._inner

    async def close(self) -> None:
        """Close the inner resolver."""
        if self._inner is not None:
            await self._inner.close()
