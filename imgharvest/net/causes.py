"""Why a request got no answer, as the network tells it: a name that does not resolve, a
refused connection, a timeout, an unreachable network; and the one line that says so when
every source failed for the same one."""

from __future__ import annotations

import errno
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import aiohttp

from imgharvest.errors import FetchError, NoNetwork


class Cause(StrEnum):
    """A network reason for getting no answer (values appear in events and ``--json``)."""

    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"


# What the user reads: "no network: names do not resolve (bing.com, …)".
WORDS = {
    Cause.DNS: "names do not resolve",
    Cause.REFUSED: "connections are refused",
    Cause.TIMEOUT: "connections time out",
    Cause.UNREACHABLE: "the network is unreachable",
}
LABELS: dict[str, str] = {Cause.DNS: "DNS", Cause.REFUSED: "refused",
                          Cause.TIMEOUT: "timeout", Cause.UNREACHABLE: "no route"}  # fmt: skip
UNREACHABLE_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN})
# getaddrinfo's answers that say the name does not exist: asking again cannot help.
NO_SUCH_NAME = frozenset(
    getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name)
)
HOSTS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class NetFailure:
    """A request that got no answer: why, and the host it was for."""

    cause: Cause
    host: str

    def describe(self) -> str:
        """``names do not resolve (www.bing.com)``."""
        return f"{WORDS[self.cause]} ({self.host})"


def cause_of(exc: BaseException) -> Cause | None:
    """The network reason behind an exception raised by a request, or None (not a network one:
    an HTTP status, a guard refusal, a broken answer)."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return Cause.DNS
    if isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError):
        return Cause.TIMEOUT
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _os_cause(exc.os_error)
    return None


def _os_cause(error: OSError) -> Cause | None:
    if isinstance(error, ConnectionRefusedError):
        return Cause.REFUSED
    if isinstance(error, TimeoutError):
        return Cause.TIMEOUT
    return Cause.UNREACHABLE if error.errno in UNREACHABLE_ERRNOS else None


def name_is_unknown(exc: BaseException) -> bool:
    """Whether a DNS failure says the name does not exist (not a temporary failure)."""
    inner = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    return isinstance(inner, socket.gaierror) and inner.errno in NO_SUCH_NAME


def failure_in(exc: BaseException) -> NetFailure | None:
    """The network failure at the root of ``exc`` (a source error wraps the request's)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, FetchError) and seen.cause:
            return NetFailure(Cause(seen.cause), seen.host)
        seen = seen.__cause__
    return None


def no_network(failures: Mapping[str, NetFailure]) -> NoNetwork | None:
    """The job's error when every failure has one network cause (None when they differ):
    ``no network: names do not resolve (www.bing.com, duckduckgo.com, …)``."""
    causes = {f.cause for f in failures.values()}
    if len(causes) != 1:
        return None
    cause = causes.pop()
    hosts = list(dict.fromkeys(f.host for f in failures.values()))
    shown = ", ".join(hosts[:HOSTS_SHOWN]) + (", …" if len(hosts) > HOSTS_SHOWN else "")
    return NoNetwork(f"no network: {WORDS[cause]} ({shown})", str(cause), hosts)
