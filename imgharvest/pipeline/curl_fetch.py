"""The libcurl fetcher: image downloads through ``CurlEngine``, pages and APIs still on aiohttp.

The guarantees are the aiohttp fetcher's: each hop's URL passes the guard
(scheme, IP literal) before it is requested and each address before libcurl
connects to it; redirects are followed here, by hand; bodies are capped,
timed out, retried on 429/5xx/connection errors honouring ``Retry-After``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pycurl
from aiohttp.abc import AbstractResolver
from yarl import URL

from imgharvest.errors import FetchError, GuardError
from imgharvest.events import EventSink
from imgharvest.net.guard import parse_host
from imgharvest.pipeline.curl_engine import CurlEngine, Request, Transfer
from imgharvest.pipeline.fetch import (
    REDIRECTS,
    Fetcher,
    Headers,
    _failure,
    _next_hop,
    invalid_url,
    retry_after,
    retryable,
)
from imgharvest.pipeline.records import Download, Reason
from imgharvest.settings import Settings

TIMEOUTS = frozenset({pycurl.E_OPERATION_TIMEDOUT})
TOO_LARGE = frozenset({pycurl.E_FILESIZE_EXCEEDED})


class CurlFetcher(Fetcher):
    """``Fetcher`` whose ``download`` runs in libcurl (``get`` is the aiohttp one)."""

    def __init__(
        self,
        settings: Settings,
        events: EventSink | None = None,
        *,
        resolver: AbstractResolver | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        super().__init__(settings, events, resolver=resolver, trace_configs=trace_configs)
        self._seam = resolver
        self._engine: CurlEngine | None = None

    async def __aenter__(self) -> CurlFetcher:
        await super().__aenter__()
        self._engine = CurlEngine(self.settings, self.guard)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await asyncio.get_running_loop().run_in_executor(None, engine.close)
        await super().__aexit__(*exc)

    @property
    def engine(self) -> CurlEngine:
        """The running engine (only inside ``async with``)."""
        if self._engine is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        return self._engine

    async def download(self, url: str, dest: Path, *, referer: str | None = None) -> Download:
        """Stream ``url`` to ``dest`` (sha256 on the fly); per-image trouble is a ``Reason``."""
        invalid = invalid_url(url)
        if invalid:
            return Download(url=url, ok=False, reason=Reason.INVALID_URL, detail=invalid)
        headers = {"Referer": referer} if referer else None
        try:
            final, got = await self._open_curl(url, headers, dest)
            return await self._saved(url, final, got, dest)
        except (FetchError, TimeoutError, ValueError) as exc:
            dest.unlink(missing_ok=True)
            reason, detail = _failure(exc)
            return Download(url=url, ok=False, reason=reason, detail=detail)

    async def _saved(self, url: str, final: URL, got: Transfer, dest: Path) -> Download:
        common: dict[str, Any] = {
            "url": url,
            "final_url": str(final),
            "status": got.status,
            "content_type": got.headers.get("content-type"),
        }
        if not 200 <= got.status < 300:
            return Download(
                ok=False, reason=Reason.HTTP_ERROR, detail=f"HTTP {got.status}", **common
            )
        digest = got.sha256 or await self._write_file(dest, got.chunks)
        return Download(ok=True, path=dest, size=got.size, sha256=digest, **common)

    async def _open_curl(self, url: str, headers: Headers, dest: Path) -> tuple[URL, Transfer]:
        """The final answer: redirects followed, 429/5xx/connection errors retried."""
        attempt = 0
        while True:
            try:
                final, got = await self._follow_curl(URL(url), headers, dest)
            except FetchError as exc:
                if attempt >= self.settings.retries or exc.reason != Reason.CONNECTION:
                    raise
                await self._pause(url, attempt, None, exc.reason, False)
            else:
                if attempt >= self.settings.retries or not retryable(got.status):
                    return final, got
                wait = retry_after(got.headers.get("retry-after"))
                await self._pause(url, attempt, wait, f"HTTP {got.status}", False)
            attempt += 1

    async def _follow_curl(self, url: URL, headers: Headers, dest: Path) -> tuple[URL, Transfer]:
        """Request ``url``, following redirects by hand so the guard sees every hop."""
        seen: set[URL] = set()
        for _ in range(self.settings.max_redirects + 1):
            self.guard.check_literal(url)
            got = await self._transfer(url, headers, dest)
            location = got.headers.get("location") if got.status in REDIRECTS else None
            if location is None:
                return url, got
            seen.add(url)
            url, headers = _next_hop(url, location, headers)
            if url in seen:
                raise FetchError(str(url), Reason.TOO_MANY_REDIRECTS)
        raise FetchError(str(url), Reason.TOO_MANY_REDIRECTS)

    async def _transfer(self, url: URL, headers: Headers, dest: Path) -> Transfer:
        """One request through the engine; a transport failure raises with its reason."""
        pins = await self._pins(url)
        lines = tuple(f"{k}: {v}" for k, v in (headers or {}).items())
        cap = self.settings.max_image_bytes
        transfer = self.engine.submit(Request(str(url), dest, lines, pins), cap)
        try:
            got = await asyncio.shield(transfer.done)
        except asyncio.CancelledError:
            self.engine.cancel(transfer)
            await asyncio.wait([transfer.done])
            dest.unlink(missing_ok=True)
            raise
        _raise_for_transport(str(url), got, cap)
        return got

    async def _pins(self, url: URL) -> tuple[str, ...]:
        """With a resolver seam, its (guarded) answers pinned for libcurl; else libcurl's DNS."""
        if self._seam is None or url.raw_host is None or parse_host(url.raw_host) is not None:
            return ()
        host, port = url.raw_host, url.port or 80
        answers = await self._resolver.resolve(host, port)
        return tuple(f"{host}:{port}:{a['host']}" for a in answers)


def _raise_for_transport(url: str, got: Transfer, cap: int) -> None:
    if got.write_error is not None:  # a full disk ends the job, as on the aiohttp backend
        raise got.write_error
    if got.refused is not None and got.error:
        raise GuardError(url, f"blocked address: {got.refused}")
    if got.too_large or got.error in TOO_LARGE:
        length = got.headers.get("content-length")
        detail = f"Content-Length {length} > {cap}" if length else Reason.TOO_LARGE
        if 200 <= got.status < 300 or not got.status:
            raise FetchError(detail, Reason.TOO_LARGE)
    if got.error == pycurl.E_URL_MALFORMAT:
        raise FetchError(f"{url} ({got.message})", Reason.HTTP_ERROR)
    if got.error in TIMEOUTS:
        raise TimeoutError(got.message)
    if got.error and not (got.status and (got.too_large or got.error in TOO_LARGE)):
        raise FetchError(f"{url} ({got.message})", Reason.CONNECTION)
