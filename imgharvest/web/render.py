"""Rendering pages: the templates, the context every page shares, and error pages."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from imgharvest.service.jobs import JobService
from imgharvest.service.schemas import MAX_CRAWL_URLS, MAX_DEPTH, MAX_QUERY_LENGTH
from imgharvest.web.assets import make_templates

LABELS = {
    "search-query": "Search query", "date": "Date", "time": "Time", "email": "Email",
    "images": "Number of images", "tz": "Time zone", "sources": "Sources",
    "min-width": "Minimum width", "min-height": "Minimum height", "urls": "Page URLs",
    "depth": "Link depth", "body": "Request", "render": "Render pages",
    "format": "Dataset format", "max-side": "Maximum side", "licence": "Licence",
    "csrf_token": "This form", "start-now": "Start now", "download": "Download the images",
}  # fmt: skip
FORM_KEYS = (*(key for key in LABELS if key != "csrf_token"), "kind")


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    """The page templates, loaded once."""
    return make_templates()


def jobs_of(request: Request) -> JobService:
    """The app's job service (``create_app`` puts ``Services`` on ``app.state``)."""
    service: JobService = request.app.state.services.jobs
    return service


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    """A page from ``name`` with the shared context (limits, defaults)."""
    settings = jobs_of(request).settings
    base = {
        "max_images": settings.max_images, "max_query": MAX_QUERY_LENGTH,
        "max_urls": MAX_CRAWL_URLS, "max_depth": MAX_DEPTH, "default_tz": settings.timezone,
        "default_sources": ",".join(settings.sources), "labels": LABELS, "errors": {},
        "values": {},
    }  # fmt: skip
    return templates().TemplateResponse(request, name, {**base, **ctx}, status_code=status)


def error_page(request: Request, status: int, title: str, message: str, **ctx: Any) -> HTMLResponse:
    """An HTML error page (404, 410, 403, 429 …); ``errors`` may name bad fields."""
    ctx = {"status_code": status, "title": title, "message": message, **ctx}
    response = render(request, "error.html", status, **ctx)
    for name, value in ctx.get("headers", {}).items():
        response.headers[name] = value
    return response
