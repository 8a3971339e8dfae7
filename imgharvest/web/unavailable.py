"""Database and store faults met while serving: a 503 answer and one logged line, never a 500."""

from __future__ import annotations

import logging
import time

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from imgharvest.store import faults
from imgharvest.web.render import error_page

log = logging.getLogger("imgharvest.web")

# A connection blip is retried soon; a damaged or full database needs an operator first.
RETRY_AFTER = {"damaged": "60", "full": "60", "unavailable": "5"}
MESSAGES = {
    "damaged": "The database is damaged. The operator must restore it from a backup "
    "(`imgharvest db check` shows the damage).",
    "full": "The disk holding the database is full. Try again later.",
    "unavailable": "The database cannot be reached right now. Try again later.",
}


async def database_error(request: Request, exc: Exception) -> Response:
    """503 for a damaged, full or unreachable database (JSON for the APIs, a page otherwise)."""
    cause = faults.database_fault(exc) or "unavailable"
    log.error("database %s on %s %s: %s", cause, request.method, request.url.path, exc)
    message = MESSAGES[cause]
    headers = {"Retry-After": RETRY_AFTER[cause]}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"errors": {"database": message}}, 503, headers=headers)
    if request.method == "POST" and request.url.path == "/":
        status = {"statusMsg": message, "statusDetails": {}, "statusCode": "ServiceUnavailable"}
        return JSONResponse({"status": status, "result": None}, 503, headers=headers)
    return error_page(request, 503, "Service unavailable", message, headers=headers)


STORE_MESSAGE = "The archive store cannot be reached right now. Try again in a minute."
STORE_LOG_EVERY = 30.0  # seconds: one line per outage, not one per thumbnail


async def store_error(request: Request, exc: Exception) -> Response:
    """503 while the archive store is away (thumbnails, image views): a short message, and a
    log line at most every ``STORE_LOG_EVERY`` seconds."""
    now, state = time.monotonic(), request.app.state
    if now - getattr(state, "store_logged_at", -STORE_LOG_EVERY) >= STORE_LOG_EVERY:
        state.store_logged_at = now
        log.warning("archive store unavailable (%s); answering 503 meanwhile", exc)
    headers = {"Retry-After": "30", "Cache-Control": "no-store"}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"errors": {"store": STORE_MESSAGE}}, 503, headers=headers)
    if "text/html" not in request.headers.get("accept", ""):
        return Response(STORE_MESSAGE, 503, media_type="text/plain", headers=headers)
    return error_page(request, 503, "Service unavailable", STORE_MESSAGE, headers=headers)
