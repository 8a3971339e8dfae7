"""The libcurl engine: one thread driving a curl multi handle, guarded before every connect.

HTTP runs in C with the GIL released; bodies go to memory (small) or straight
to their file (long), hashed on the way. Each transfer is one request: redirects
and retries are the caller's (``CurlFetcher``), so every hop passes the guard.
``OPENSOCKETFUNCTION`` checks the very address libcurl is about to connect to
(after DNS, so rebinding is covered) and refuses it with ``CURL_SOCKET_BAD``.
Connection slots (per host, in all) are handed out here (``SlotQueue``), not by libcurl, so
time queued is not connect time; it counts against the total timeout, as aiohttp's does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import math
import os
import select
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pycurl

from imgharvest.net.guard import NetworkGuard
from imgharvest.pipeline.curl_queue import SlotQueue, host_key
from imgharvest.pipeline.spool import SPOOL, WRITE_BUFFER
from imgharvest.settings import Settings

IDLE_WAIT = 1.0  # seconds the engine sleeps with nothing to do (a wake-up cuts it short)
PROTOCOLS = pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS
ENCODINGS = "gzip, deflate"
INET = (socket.AF_INET, socket.AF_INET6)


def open_socket(family: int, socktype: int, protocol: int, address: str) -> socket.socket:
    """The socket libcurl connects to ``address`` with (a seam: tests count what opens here)."""
    return socket.socket(family, socktype, protocol)


@dataclass(frozen=True)
class Request:
    """One HTTP GET: where, with which extra headers, the body's destination and cap."""

    url: str
    dest: Path
    headers: tuple[str, ...] = ()
    resolve: tuple[str, ...] = ()  # ``host:port:address`` pins (a resolver seam's answers)


@dataclass
class Transfer:
    """One request's state, touched by the engine thread until ``done`` resolves."""

    request: Request
    cap: int
    done: asyncio.Future[Transfer]
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    raw_headers: list[bytes] = field(default_factory=list)
    size: int = 0
    chunks: list[bytes] = field(default_factory=list)
    sha256: str | None = None
    error: int = 0
    message: str = ""
    refused: str | None = None
    write_error: OSError | None = None
    too_large: bool = False
    cancelled: bool = False
    queued_at: float = field(default_factory=time.monotonic)
    slot: str = ""  # the host whose connection slot this transfer holds
    _out: BinaryIO | None = None
    _digest: Any = None

    @property
    def ok(self) -> bool:
        """A 2xx answer read whole."""
        return self.error == 0 and 200 <= self.status < 300

    def read_headers(self) -> None:
        """Status and headers of the last response from the raw lines libcurl handed over."""
        for line in self.raw_headers:
            text = line.decode("iso-8859-1").strip()
            if text.startswith("HTTP/"):
                parts = text.split(None, 2)
                self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
                self.headers = {}
            elif ":" in text:
                name, _, value = text.partition(":")
                self.headers[name.strip().lower()] = value.strip()
        self.raw_headers.clear()

    def write(self, data: bytes) -> int | None:
        """Keep a 2xx body (spilled to its file past ``SPOOL``); 0 aborts the transfer."""
        if self.cancelled:
            return 0
        if self.raw_headers:  # the body's first bytes: its headers are complete
            self.read_headers()
        self.size += len(data)
        if self.size > self.cap:
            self.too_large = True
            return 0
        if 200 <= self.status < 300:
            self.chunks.append(data)
            if self.size > SPOOL:
                try:
                    self._spill()
                except OSError as exc:  # disk full, directory gone: the caller raises it
                    self.write_error = exc
                    return 0
        return None

    def _spill(self) -> None:
        if self._out is None:
            self._out = self.request.dest.open("wb", buffering=WRITE_BUFFER)
            self._digest = hashlib.sha256()
        for chunk in self.chunks:
            self._digest.update(chunk)
        self._out.writelines(self.chunks)
        self.chunks.clear()

    def finish(self) -> None:
        """Write a whole small 2xx body to its file, or close a spilled one (its hash is
        final), or drop it on failure. Writing here spares every image a hop to a file
        thread and back; if it fails, ``sha256`` stays unset and the caller writes it.
        Never raises: a failed write of a spilled body is kept in ``write_error`` (the
        caller raises it, as the aiohttp backend's own write would) and its file removed."""
        try:
            self._finish()
        except OSError as exc:
            self.write_error, self.sha256 = self.write_error or exc, None
        if self.write_error is not None or not self.ok:
            with contextlib.suppress(OSError):
                self.request.dest.unlink(missing_ok=True)

    def _finish(self) -> None:
        if self._out is None:
            if self.ok and self.write_error is None:
                self._write_whole()
            return
        try:
            if self.ok and self.write_error is None:
                self._spill()
                self.sha256 = self._digest.hexdigest()
        finally:
            out, self._out = self._out, None
            out.close()  # closes the file even when flushing its buffer fails

    def _write_whole(self) -> None:
        digest = hashlib.sha256()
        try:
            with self.request.dest.open("wb") as out:
                for chunk in self.chunks:
                    digest.update(chunk)
                    out.write(chunk)
        except OSError:  # the caller's write meets the same error and reports it
            with contextlib.suppress(OSError):
                self.request.dest.unlink(missing_ok=True)
            return
        self.sha256 = digest.hexdigest()
        self.chunks.clear()

    def refuse_or_open(self, guard: NetworkGuard, address: Any) -> socket.socket | None:
        """The guard's verdict on the address libcurl is about to connect to, then a socket."""
        family, socktype, protocol, addr = address
        why = "not an internet address" if family not in INET else _refusal(guard, addr[0])
        if why is not None:
            self.refused = why
            return None
        return open_socket(family, socktype, protocol, addr[0])


def _refusal(guard: NetworkGuard, host: str) -> str | None:
    try:
        return guard.refusal(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        return f"{host} is not an address"


class CurlEngine:
    """A thread running libcurl's multi interface; ``submit`` is called from the event loop."""

    def __init__(self, settings: Settings, guard: NetworkGuard) -> None:
        self.settings, self.guard = settings, guard
        self._inbox: deque[Callable[[], None]] = deque()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._stopping = False
        self._handed: list[socket.socket] = []
        self._idle: list[pycurl.Curl] = []
        self._slots: SlotQueue[Transfer] = SlotQueue(
            settings.fetch_concurrency, settings.per_host_concurrency
        )
        self._multi = self._make_multi()
        self._thread = threading.Thread(target=self._run, name="imgharvest-curl", daemon=True)
        self._thread.start()

    def _make_multi(self) -> pycurl.CurlMulti:
        multi = pycurl.CurlMulti()
        multi.setopt(pycurl.M_MAXCONNECTS, self.settings.fetch_concurrency)
        return multi

    # -- event-loop side ----------------------------------------------------
    def submit(self, request: Request, cap: int) -> Transfer:
        """Start ``request``; its ``done`` future resolves on the calling loop."""
        done: asyncio.Future[Transfer] = asyncio.get_running_loop().create_future()
        transfer = Transfer(request, cap, done)
        self._post(lambda: self._start(transfer))
        return transfer

    def cancel(self, transfer: Transfer) -> None:
        """Stop ``transfer``; its ``done`` still resolves once the engine let go of it."""
        transfer.cancelled = True
        self._post(lambda: self._abort(transfer))

    def close(self) -> None:
        """Stop the thread (transfers still running are aborted) and free libcurl."""
        self._stopping = True
        self._wake()
        self._thread.join()
        self._multi.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _post(self, job: Callable[[], None]) -> None:
        self._inbox.append(job)
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a wake-up is already pending
            os.write(self._wake_w, b"\0")

    # -- engine thread ------------------------------------------------------
    def _run(self) -> None:
        self._handles: dict[int, pycurl.Curl] = {}
        try:
            while not self._stopping:
                while self._inbox:
                    self._inbox.popleft()()
                self._perform()
                self._wait()
        finally:  # every waiter gets an answer, even if the loop itself failed
            for ident in list(self._slots.waiting):  # first: none of them may start now
                self._unqueued(ident, pycurl.E_ABORTED_BY_CALLBACK, "engine stopped")
            for handle in list(self._handles.values()):
                self._end(handle, pycurl.E_ABORTED_BY_CALLBACK, "engine stopped")
            for handle in self._idle:
                handle.close()

    def _perform(self) -> None:
        while self._multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
            pass
        while self._handed:
            self._handed.pop().close()
        while True:
            queued, finished, failed = self._multi.info_read()
            for handle in finished:
                self._end(handle, 0, "")
            for handle, code, message in failed:
                self._end(handle, code, message)
            if not queued:
                return

    def _wait(self) -> None:
        reads, writes, errors = self._multi.fdset()
        timeout_ms = self._multi.timeout()
        wait = IDLE_WAIT if timeout_ms < 0 else min(IDLE_WAIT, timeout_ms / 1000)
        ready, _, _ = select.select([*reads, self._wake_r], writes, errors, wait)
        if self._wake_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(self._wake_r, 4096)

    def _start(self, transfer: Transfer) -> None:
        if transfer.cancelled:
            self._resolve(transfer)
            return
        key = host_key(transfer.request.url)
        if not self._slots.admit(key):
            self._slots.wait(key, id(transfer), transfer)
        elif not self._launch(transfer, key):
            self._free_slot(key)

    def _launch(self, transfer: Transfer, key: str) -> bool:
        """Hand a transfer holding a slot of ``key`` to libcurl with what is left of its total
        time (time queued counts there, never as connect time); False if it ended at once."""
        left_ms = int((self.settings.total_timeout - self._queued(transfer)) * 1000)
        if left_ms <= 0:
            return self._ended(transfer, pycurl.E_OPERATION_TIMEDOUT, "timed out in the queue")
        handle = self._idle.pop() if self._idle else self._fresh_handle()
        handle.transfer = transfer
        try:
            handle.setopt(pycurl.TIMEOUT_MS, left_ms)
            self._multi.add_handle(self._configure(handle, transfer))
        except (pycurl.error, ValueError, TypeError, UnicodeError) as exc:
            handle.close()
            return self._ended(transfer, pycurl.E_URL_MALFORMAT, f"refused by libcurl: {exc}")
        transfer.slot = key
        self._handles[id(transfer)] = handle
        return True

    def _queued(self, transfer: Transfer) -> float:
        return time.monotonic() - transfer.queued_at

    def _ended(self, transfer: Transfer, code: int, message: str) -> bool:
        """Answer a transfer libcurl never ran (always False: it holds no slot)."""
        transfer.error, transfer.message = code, message
        self._resolve(transfer)
        return False

    def _unqueued(self, ident: int, code: int, message: str) -> None:
        transfer = self._slots.drop(ident)
        if transfer is not None:
            self._ended(transfer, code, message)

    def _free_slot(self, key: str) -> None:
        """Give a slot of ``key`` back: the next transfer waiting for one starts."""
        while (taken := self._slots.release(key)) is not None:
            key, following = taken
            if self._launch(following, key):
                return

    def _fresh_handle(self) -> pycurl.Curl:
        """A handle with the options every transfer shares (handles are reused)."""
        s, c = self.settings, pycurl.Curl()
        c.setopt(pycurl.PROTOCOLS, PROTOCOLS)
        c.setopt(pycurl.REDIR_PROTOCOLS, PROTOCOLS)
        c.setopt(pycurl.FOLLOWLOCATION, 0)
        c.setopt(pycurl.NOSIGNAL, 1)
        c.setopt(pycurl.CONNECTTIMEOUT_MS, int(s.connect_timeout * 1000))
        c.setopt(pycurl.LOW_SPEED_LIMIT, 1)  # under a byte a second for read_timeout: stalled
        c.setopt(pycurl.LOW_SPEED_TIME, max(1, math.ceil(s.read_timeout)))
        c.setopt(pycurl.USERAGENT, s.user_agent)
        c.setopt(pycurl.ACCEPT_ENCODING, ENCODINGS)
        trust = ssl.get_default_verify_paths()  # the store aiohttp trusts (SSL_CERT_FILE too)
        if trust.cafile:
            c.setopt(pycurl.CAINFO, trust.cafile)
        if trust.capath:
            c.setopt(pycurl.CAPATH, trust.capath)
        return c

    def _configure(self, c: pycurl.Curl, t: Transfer) -> pycurl.Curl:
        r = t.request
        c.setopt(pycurl.URL, r.url)
        c.setopt(pycurl.OPENSOCKETFUNCTION, lambda _purpose, a: self._open_socket(t, a))
        c.setopt(pycurl.HEADERFUNCTION, t.raw_headers.append)
        c.setopt(pycurl.WRITEFUNCTION, t.write)
        c.setopt(pycurl.MAXFILESIZE_LARGE, t.cap)
        if r.headers:
            c.setopt(pycurl.HTTPHEADER, list(r.headers))
        if r.resolve:
            c.setopt(pycurl.RESOLVE, list(r.resolve))
        return c

    def _open_socket(self, transfer: Transfer, address: Any) -> Any:
        """OPENSOCKETFUNCTION: ``CURL_SOCKET_BAD`` refuses; pycurl keeps a dup of what we return,
        so ours is closed once ``perform`` is back."""
        sock = transfer.refuse_or_open(self.guard, address)
        if sock is None:
            return pycurl.SOCKET_BAD
        self._handed.append(sock)
        return sock

    def _abort(self, transfer: Transfer) -> None:
        handle = self._handles.get(id(transfer))
        if handle is not None:
            self._end(handle, pycurl.E_ABORTED_BY_CALLBACK, "cancelled")
        else:
            self._unqueued(id(transfer), pycurl.E_ABORTED_BY_CALLBACK, "cancelled")

    def _end(self, handle: pycurl.Curl, code: int, message: str) -> None:
        transfer: Transfer = handle.transfer
        self._handles.pop(id(transfer), None)
        transfer.error, transfer.message = code, transfer.message or message
        transfer.read_headers()
        self._multi.remove_handle(handle)
        if transfer.request.headers or transfer.request.resolve or code:
            handle.close()  # per-request lists are not carried to the next request
        else:
            handle.transfer = None
            self._idle.append(handle)
        try:
            transfer.finish()
        finally:  # whatever happened, its waiter is answered and its slot given back
            self._resolve(transfer)
            key, transfer.slot = transfer.slot, ""
            self._free_slot(key)

    def _resolve(self, transfer: Transfer) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            transfer.done.get_loop().call_soon_threadsafe(_set_result, transfer)


def _set_result(transfer: Transfer) -> None:
    if not transfer.done.done():
        transfer.done.set_result(transfer)
