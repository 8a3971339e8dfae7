"""Answers the ASGI middlewares give before any route runs, in the shape the caller reads."""

from __future__ import annotations

from html import escape

from starlette.datastructures import Headers
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Scope

TITLES = {400: "Bad request", 403: "Request refused", 404: "Page not found",
          413: "Request too large"}  # fmt: skip
CODES = {400: "BadRequest", 403: "Forbidden", 404: "ResourceNotFound", 413: "InvalidRequest"}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · imgharvest</title>
<link rel="stylesheet" href="/static/bootstrap/css/bootstrap.min.css"></head>
<body><main class="container py-5"><h1 class="h3">{title}</h1><p>{message}</p>
<p><a href="/">Back to the form</a></p></main></body></html>
"""


def refusal(scope: Scope, status: int, field: str, message: str) -> Response:
    """``{"errors": {field: message}}`` for the API and JSON callers, the crawler's envelope
    for its ``POST /``, an HTML page for browsers."""
    path = scope.get("path", "")
    kind = Headers(scope=scope).get("content-type", "").split(";")[0].strip()
    if scope.get("method") == "POST" and path == "/":
        status_part = {"statusMsg": message, "statusDetails": {"errors": {field: message}},
                       "statusCode": CODES.get(status, "InvalidRequest")}  # fmt: skip
        return JSONResponse({"status": status_part, "result": None}, status_code=status)
    if path.startswith("/api/") or kind == "application/json" or kind.endswith("+json"):
        return JSONResponse({"errors": {field: message}}, status_code=status)
    title = TITLES.get(status, "Request refused")
    return HTMLResponse(PAGE.format(title=title, message=escape(message)), status_code=status)
