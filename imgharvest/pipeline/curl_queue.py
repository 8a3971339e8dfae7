"""Transfers waiting for a connection slot, per host and in all, in the engine's own queue.

libcurl's own limits (``MAX_HOST_CONNECTIONS``) hold extra transfers in its pending state,
where their connect and total timeouts already run: on a slow host, images queued behind 32
others timed out before they were ever asked for. Here a transfer is handed to libcurl only
once it has a slot, so its connect timeout starts with its connect, as with aiohttp.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Generic, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")


def host_key(url: str) -> str:
    """The connection pool a URL's transfer takes a slot of: scheme, host and port."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}"


class SlotQueue(Generic[T]):
    """At most ``per_host`` transfers per host and ``total`` in all; the rest wait in order."""

    def __init__(self, total: int, per_host: int) -> None:
        self.total, self.per_host = total, per_host
        self.running = 0
        self.active: dict[str, int] = {}
        self.waiting: OrderedDict[int, tuple[str, T]] = OrderedDict()
        self._by_host: dict[str, deque[int]] = {}

    def admit(self, key: str) -> bool:
        """Take a slot for ``key`` if one is free and nobody of that host waits before it."""
        if self._by_host.get(key) or not self._free(key):
            return False
        self._take(key)
        return True

    def wait(self, key: str, ident: int, item: T) -> None:
        """Put ``item`` (known as ``ident``) at the back of the queue."""
        self.waiting[ident] = (key, item)
        self._by_host.setdefault(key, deque()).append(ident)

    def drop(self, ident: int) -> T | None:
        """Take a waiting item out of the queue (cancelled); None if it is not waiting."""
        found = self.waiting.pop(ident, None)
        if found is None:
            return None
        queue = self._by_host[found[0]]
        queue.remove(ident)
        if not queue:
            del self._by_host[found[0]]
        return found[1]

    def release(self, key: str) -> tuple[str, T] | None:
        """Give ``key``'s slot back; the waiting item that takes it now with its host, if any
        (one freed slot makes room for one transfer)."""
        self.running -= 1
        self.active[key] -= 1
        if not self.active[key]:
            del self.active[key]
        for ident, (host, item) in self.waiting.items():
            if self._by_host[host][0] == ident and self._free(host):
                self.drop(ident)
                self._take(host)
                return host, item
        return None

    def _take(self, key: str) -> None:
        self.running += 1
        self.active[key] = self.active.get(key, 0) + 1

    def _free(self, key: str) -> bool:
        return self.running < self.total and self.active.get(key, 0) < self.per_host
