"""Request bounds before any parsing: body size (413 at once), JSON nesting depth and item count,
no NUL in the path.

A pure ASGI middleware: ``Content-Length`` is checked first, then bytes are
counted as they arrive, so an oversized body is refused without being held in
memory. JSON bodies (already bounded in size) are scanned for their nesting
depth before anyone calls ``json.loads``, whose recursion a deep body blows. The scan is
linear in the body (each byte is looked at once, whatever its quotes and backslashes), and
a body past ``PARSE_ON_LOOP`` bytes is scanned in a thread so that no request holds the loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import anyio.to_thread
import numpy as np
from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imgharvest.web.refusal import refusal

LIST_PATH = "/api/v1/jobs/fetch"
MAX_JSON_DEPTH = 32
MAX_JSON_ITEMS = 10_000
# One string, unrolled so that no byte is tried twice; an unterminated string runs to the end
# of the body instead of failing (a failing match would be retried from every later quote:
# quadratic on ``"`` followed by many ``\"``).
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
# Bodies up to this size are scanned or decoded on the event loop (a hop to a thread would
# cost more); larger ones in a thread.
PARSE_ON_LOOP = 16 * 1024
_STEP = np.zeros(256, dtype=np.int8)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class TooLarge(HTTPException):
    """The body grew past its limit while it was being read (an HTTP error, so FastAPI's
    body parsing passes it on as 413 instead of calling it a parse error)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, {"body": f"the request body is larger than {limit} bytes"})


@dataclass(frozen=True, slots=True)
class Limits:
    """``MAX_REQUEST_BYTES`` for every request, ``MAX_UPLOAD_BYTES`` for the crawler's upload,
    ``MAX_LIST_BYTES`` for a URL list."""

    body: int
    upload: int
    lists: int = 0

    def for_scope(self, scope: Scope) -> int:
        """The crawler's ``POST /`` (multipart page list) and a URL list (``POST
        /api/v1/jobs/fetch``) have their own, documented limits."""
        post, path = scope.get("method") == "POST", scope.get("path")
        if post and path == LIST_PATH and self.lists:
            return self.lists
        return self.upload if post and path == "/" else self.body


def json_problem(body: bytes) -> str | None:
    """Why a JSON body is refused before parsing (too deep, too many items), or None."""
    bare = _STRINGS.sub(b'""', body)
    steps = _STEP[np.frombuffer(bare, dtype=np.uint8)]
    depth = int(np.cumsum(steps, dtype=np.int32).max(initial=0)) if steps.size else 0
    if depth > MAX_JSON_DEPTH:
        return f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels"
    # Every container counts as well as every comma: ``[[[1]]],`` repeated has few commas
    # but many lists.
    if bare.count(b",") + int(np.count_nonzero(steps > 0)) > MAX_JSON_ITEMS:
        return f"the JSON body has more than {MAX_JSON_ITEMS} items"
    return None


def _is_json(headers: Headers) -> bool:
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    # FastAPI parses a body without a content type as JSON too.
    return not kind or kind == "application/json" or kind.endswith("+json")


class BodyLimit:
    """The ASGI middleware that applies ``Limits`` and the JSON shape bounds."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", ""):
            # No id or file name holds a NUL; some databases refuse it outright.
            await refusal(scope, 404, "path", "there is nothing at this address")(
                scope, receive, send
            )
            return
        limit = self.limits.for_scope(scope)
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None and not declared.strip().isdigit():
            await refusal(scope, 400, "body", "Content-Length is invalid")(scope, receive, send)
            return
        if declared is not None and int(declared) > limit:
            await self._too_large(scope, receive, send, limit)
            return
        if scope["method"] in _BODY_METHODS and _is_json(headers):
            await self._json(scope, receive, send, limit)
            return
        await self._streamed(scope, receive, send, limit)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = f"the request body is larger than {limit} bytes"
        await refusal(scope, 413, "body", message)(scope, receive, send)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        seen, started = 0, False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except TooLarge:
            if not started:
                await self._too_large(scope, receive, send, limit)

    async def _json(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        body = await _read(receive, limit)
        if body is None:
            await self._too_large(scope, receive, send, limit)
            return
        problem = await _scanned(body)
        if problem is not None:
            await refusal(scope, 400, "body", problem)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


async def _scanned(body: bytes) -> str | None:
    """``json_problem`` of ``body``, off the event loop unless the body is small."""
    if len(body) <= PARSE_ON_LOOP:
        return json_problem(body)
    return await anyio.to_thread.run_sync(json_problem, body)


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit``."""
    parts: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        more = message.get("more_body", False)
    return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
