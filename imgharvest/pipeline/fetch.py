"""The fetcher: one guarded, retrying aiohttp session per job, for source pages and image downloads.

Every hop (first request and each redirect) passes the network guard before
any connection; DNS answers pass it again inside the connector's resolver.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from pathlib import Path
from time import time
from typing import Any, BinaryIO

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from imgharvest.errors import FetchError, GuardError
from imgharvest.events import EventSink, log_events
from imgharvest.net.causes import Cause, cause_of, name_is_unknown
from imgharvest.net.guard import GuardedResolver, NetworkGuard
from imgharvest.net.http import HttpResponse
from imgharvest.pipeline.records import Download, Reason
from imgharvest.pipeline.spool import SPOOL, WRITE_BUFFER
from imgharvest.settings import Settings

REDIRECTS = frozenset({301, 302, 303, 307, 308})
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
BACKOFF_BASE = 0.5
# A name that does not resolve, a refused connection, an unreachable network: not transient
# on the scale of a backoff, so one quick retry at most (none for a name that does not exist).
QUICK_RETRY_SECONDS = 0.25
LASTING = frozenset({Cause.DNS, Cause.REFUSED, Cause.UNREACHABLE})
CHUNK = 64 * 1024
FILE_THREADS = 16
DNS_CACHE_SECONDS = 30

Params = dict[str, str | int] | None
Headers = dict[str, str] | None


class CaseInsensitiveHeaders(dict[str, str]):
    """Response headers as a plain dict whose lookups ignore case (keys stored lower-case)."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        """The header's value, whatever the case of ``key``."""
        return super().get(key.lower(), default)


def retryable(status: int) -> bool:
    """Whether an HTTP status is worth another attempt (429 and transient 5xx)."""
    return status == 429 or (500 <= status <= 599 and status not in (501, 505))


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time())
    except (TypeError, ValueError, IndexError):
        return None


def backoff(attempt: int, cap: float) -> float:
    """Exponential backoff with jitter for retry ``attempt`` (0-based), capped at ``cap``."""
    return min(cap, BACKOFF_BASE * 2.0**attempt * random.uniform(0.5, 1.5))


def _decode(body: bytes, content_type: str) -> str:
    charset = "utf-8"
    for part in content_type.split(";")[1:]:
        key, _, val = part.strip().partition("=")
        if key.lower() == "charset" and val:
            charset = val.strip("\"' ")
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _next_hop(current: URL, location: str, headers: Headers) -> tuple[URL, Headers]:
    """The redirect target; credentials are not carried to another origin."""
    try:
        target = current.join(URL(location))
    except ValueError as exc:
        raise FetchError(str(current), Reason.HTTP_ERROR) from exc
    if headers and target.origin() != current.origin():
        headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}
    return target, headers


async def _head(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    head = bytearray()
    async for chunk in resp.content.iter_chunked(CHUNK):
        head += chunk
        if len(head) >= limit:
            break
    return bytes(head[:limit])


def _write_chunks(dest: Path, chunks: list[bytes]) -> str:
    """Write a small body and return its sha256 (hashed here, off the event loop)."""
    digest = hashlib.sha256()
    with dest.open("wb") as out:
        for chunk in chunks:
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _spill(chunks: list[bytes], digest: Any, out: BinaryIO) -> None:
    """Hash and write what a long body has gathered so far."""
    for chunk in chunks:
        digest.update(chunk)
    out.writelines(chunks)
    chunks.clear()


def invalid_url(url: str) -> str:
    """Why a given line is not a fetchable http(s) URL ("" when it is): an input error,
    told apart from a guard refusal of a real address."""
    try:
        parsed = URL(url.strip())
    except ValueError:
        return "not a URL"
    if parsed.scheme not in ("http", "https"):
        return "not an http(s) URL"
    return "" if parsed.raw_host else "no host in the URL"


def _no_answer(url: str, exc: BaseException) -> FetchError:
    """The ``FetchError`` for a request that got no answer, with the network's reason."""
    host = str(getattr(exc, "host", "") or _host_of(url))
    return FetchError(url, _failure(exc)[0], cause=str(cause_of(exc) or ""), host=host)


def _host_of(url: str) -> str:
    """The URL's host, or "" when it has none that parses (a port out of range, say)."""
    try:
        return URL(url).host or ""
    except ValueError:
        return ""


def _retries_for(exc: BaseException, retries: int) -> int:
    """How many retries a connection error deserves (see ``QUICK_RETRY_SECONDS``)."""
    if cause_of(exc) not in LASTING:
        return retries
    return 0 if name_is_unknown(exc) else min(retries, 1)


def _failure(exc: BaseException) -> tuple[Reason, str]:
    """The per-image reason for an exception raised while downloading."""
    if isinstance(exc, GuardError):
        return Reason.GUARD, str(exc)
    if isinstance(exc, FetchError):
        known = exc.reason in {r.value for r in Reason}
        return (Reason(exc.reason) if known else Reason.CONNECTION), str(exc)
    if isinstance(exc, TimeoutError):
        return Reason.TIMEOUT, "timed out"
    return Reason.CONNECTION, f"{type(exc).__name__}: {exc}"


class Fetcher:
    """One aiohttp session per job implementing the sources' ``Http`` seam and image downloads.

    ``resolver`` replaces the system DNS resolver (its answers are still guarded);
    ``trace_configs`` are aiohttp request traces (metrics, tests).
    """

    def __init__(
        self,
        settings: Settings,
        events: EventSink | None = None,
        *,
        resolver: AbstractResolver | None = None,
        trace_configs: Sequence[aiohttp.TraceConfig] = (),
    ) -> None:
        self.settings = settings
        self.events = events or log_events()
        self.guard = NetworkGuard(settings.networks)
        self._resolver = GuardedResolver(self.guard, resolver)
        self._traces = list(trace_configs)
        self._session: aiohttp.ClientSession | None = None
        self._files: ThreadPoolExecutor | None = None

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        connector = aiohttp.TCPConnector(
            limit=s.fetch_concurrency,
            limit_per_host=s.per_host_concurrency,
            resolver=self._resolver,
            ttl_dns_cache=DNS_CACHE_SECONDS,
        )
        # ``sock_connect``, not ``connect``: aiohttp's ``connect`` also runs while a request
        # waits for a slot of the per-host limit, and on a slow host the queued ones timed out
        # before they were asked for; queued time counts in the total only.
        timeout = aiohttp.ClientTimeout(
            total=s.total_timeout, sock_connect=s.connect_timeout, sock_read=s.read_timeout
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            headers={"User-Agent": s.user_agent},
            trace_configs=self._traces or None,
        )
        # File creation is slow on many file systems: done off the event loop, in parallel.
        self._files = ThreadPoolExecutor(FILE_THREADS, thread_name_prefix="imgharvest-files")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._files is not None:
            self._files.shutdown(wait=True)
            self._files = None
        await self._resolver.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        """The open session (only inside ``async with``)."""
        if self._session is None:
            raise RuntimeError("Fetcher used outside 'async with'")
        return self._session

    # -- pages and APIs ---------------------------------------------------
    async def get(
        self, url: str, *, params: Params = None, headers: Headers = None
    ) -> HttpResponse:
        """The final answer for a page/API URL, whatever its status, body capped and decoded.

        Raises ``GuardError`` for a refused address, ``FetchError`` when no answer came.
        """
        try:
            resp = await self._open(url, headers, params, report=True)
            try:
                body = await self._read_page(resp)
            finally:
                resp.release()
        except FetchError:
            raise
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise _no_answer(url, exc) from exc
        return HttpResponse(
            url=str(resp.url),
            status=resp.status,
            headers=CaseInsensitiveHeaders((k.lower(), v) for k, v in resp.headers.items()),
            text=_decode(body, resp.headers.get("Content-Type", "")),
        )

    async def _read_page(self, resp: aiohttp.ClientResponse) -> bytes:
        cap = self.settings.max_page_bytes
        body = bytearray()
        async for chunk in resp.content.iter_chunked(CHUNK):
            body += chunk
            if len(body) > cap:
                self.events("warning", f"page cut at {cap} bytes: {resp.url}")
                return bytes(body[:cap])
        return bytes(body)

    # -- images -----------------------------------------------------------
    async def download(self, url: str, dest: Path, *, referer: str | None = None) -> Download:
        """Stream ``url`` to ``dest`` (sha256 on the fly); per-image trouble is a ``Reason``."""
        headers = {"Referer": referer} if referer else None
        invalid = invalid_url(url)
        if invalid:
            return Download(url=url, ok=False, reason=Reason.INVALID_URL, detail=invalid)
        try:
            resp = await self._open(url, headers, None, report=False)
            try:
                return await self._save(url, resp, dest)
            finally:
                resp.release()
        except (FetchError, TimeoutError, aiohttp.ClientError, ValueError) as exc:
            reason, detail = _failure(exc)
            return Download(url=url, ok=False, reason=reason, detail=detail)

    async def head_bytes(self, url: str, limit: int, *, referer: str | None = None) -> bytes | None:
        """The first ``limit`` bytes of ``url`` (a ranged GET; a server that ignores the range
        is read no further), or None when there is no 2xx answer."""
        if invalid_url(url):
            return None
        headers = {"Range": f"bytes=0-{limit - 1}", **({"Referer": referer} if referer else {})}
        try:
            resp = await self._open(url, headers, None, report=False)
            try:
                return await _head(resp, limit) if 200 <= resp.status < 300 else None
            finally:
                resp.release()
        except (FetchError, TimeoutError, aiohttp.ClientError, ValueError):
            return None

    async def _save(self, url: str, resp: aiohttp.ClientResponse, dest: Path) -> Download:
        common: dict[str, Any] = {
            "url": url,
            "final_url": str(resp.url),
            "status": resp.status,
            "content_type": resp.headers.get("Content-Type"),
        }
        if not 200 <= resp.status < 300:
            return Download(
                ok=False, reason=Reason.HTTP_ERROR, detail=f"HTTP {resp.status}", **common
            )
        cap = self.settings.max_image_bytes
        if (resp.content_length or 0) > cap:
            detail = f"Content-Length {resp.content_length} > {cap}"
            return Download(ok=False, reason=Reason.TOO_LARGE, detail=detail, **common)
        size, digest = await self._stream(resp, dest, cap)
        return Download(ok=True, path=dest, size=size, sha256=digest, **common)

    async def _stream(self, resp: aiohttp.ClientResponse, dest: Path, cap: int) -> tuple[int, str]:
        """Write the body to ``dest``; the partial file goes on any failure.

        Creating a file costs far more than writing it, so a body up to ``SPOOL``
        bytes is gathered and written in one worker-thread hop; a longer one is
        written chunk by chunk as it arrives.
        """
        digest = hashlib.sha256()
        size = 0
        chunks: list[bytes] = []
        out: BinaryIO | None = None
        try:
            async for chunk in resp.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > cap:
                    raise FetchError(str(resp.url), Reason.TOO_LARGE)
                chunks.append(chunk)
                if size > SPOOL:
                    out = out or dest.open("wb", buffering=WRITE_BUFFER)
                    _spill(chunks, digest, out)
            if out is None:
                return size, await self._write_file(dest, chunks)
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        finally:
            if out is not None:
                out.close()
        return size, digest.hexdigest()

    async def _write_file(self, dest: Path, chunks: list[bytes]) -> str:
        """Write and hash a whole small file in a worker thread; on cancel, wait for it first."""
        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(self._files, _write_chunks, dest, chunks)
        try:
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            await asyncio.wait([job])
            if not job.cancelled():
                job.exception()  # a write that failed as well (a full disk): the cancel wins
            raise

    # -- shared: retries and redirects -----------------------------------
    async def _open(
        self, url: str, headers: Headers, params: Params, *, report: bool
    ) -> aiohttp.ClientResponse:
        """The final response: redirects followed, 429/5xx/connection errors retried."""
        retries = self.settings.retries
        attempt = 0
        while True:
            try:
                resp = await self._follow(URL(url), headers, params)
            except aiohttp.ClientConnectionError as exc:
                # Timeouts are not retried: they would multiply a job's worst case.
                if attempt >= _retries_for(exc, retries) or isinstance(exc, TimeoutError):
                    raise
                quick = QUICK_RETRY_SECONDS if cause_of(exc) in LASTING else None
                await self._pause(url, attempt, quick, f"{type(exc).__name__}", report)
            else:
                if attempt >= retries or not retryable(resp.status):
                    return resp
                resp.release()
                wait = retry_after(resp.headers.get("Retry-After"))
                await self._pause(url, attempt, wait, f"HTTP {resp.status}", report)
            attempt += 1

    async def _pause(
        self, url: str, attempt: int, wait: float | None, why: str, report: bool
    ) -> None:
        cap = self.settings.retry_max_wait
        delay = min(cap, wait) if wait is not None else backoff(attempt, cap)
        if report:
            self.events("info", f"{why} from {url}; retry {attempt + 1} in {delay:.1f}s")
        await asyncio.sleep(delay)

    async def _follow(self, url: URL, headers: Headers, params: Params) -> aiohttp.ClientResponse:
        """Request ``url``, following redirects by hand so the guard sees every hop."""
        seen: set[URL] = set()
        for _ in range(self.settings.max_redirects + 1):
            await self.guard.check_url(url, resolve=False)
            resp = await self.session.get(
                url, params=params, headers=headers, allow_redirects=False
            )
            location = resp.headers.get("Location") if resp.status in REDIRECTS else None
            if location is None:
                return resp
            resp.release()
            seen.add(resp.url)
            url, headers = _next_hop(resp.url, location, headers)
            params = None
            if url in seen:
                raise FetchError(str(url), Reason.TOO_MANY_REDIRECTS)
        raise FetchError(str(url), Reason.TOO_MANY_REDIRECTS)
