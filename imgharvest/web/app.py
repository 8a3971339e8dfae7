"""``create_app``: the FastAPI application (pages, REST API, crawler API, static files)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from imgharvest.errors import StoreUnavailable
from imgharvest.service.schemas import ValidationFailed
from imgharvest.service.services import Services, build_services
from imgharvest.settings import Settings
from imgharvest.version import __version__
from imgharvest.web import pages

log = logging.getLogger("imgharvest.web")


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The web app; builds ``Services`` from ``settings`` unless given, on ``app.state``."""
    from imgharvest.web import (
        api,
        compat,
        docs,
        fetchapi,
        health,
        myjobs,
        openapi,
        original_form,
        outputs,
        resubmit,
    )
    from imgharvest.web.assets import mount_static
    from imgharvest.web.thumbs import ThumbCache
    from imgharvest.web.unavailable import database_error, store_error

    app = FastAPI(title="imgharvest", version=__version__, docs_url=None, redoc_url=None)
    app.state.services = services or build_services(settings)
    app.state.thumbs = ThumbCache()
    app.include_router(api.router)
    app.include_router(api.sources_router)
    app.include_router(fetchapi.router)
    app.include_router(outputs.router)
    app.include_router(compat.router)
    app.include_router(pages.router)
    app.include_router(myjobs.router)
    app.include_router(original_form.router)
    app.include_router(docs.router)
    app.include_router(resubmit.router)
    mount_static(app)
    health.register(app)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(ValidationFailed, _validation_failed)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(SQLAlchemyError, database_error)
    app.add_exception_handler(StoreUnavailable, store_error)
    app.add_exception_handler(Exception, _crash)
    protect(app, settings)
    openapi.install(app)
    return app


def protect(app: FastAPI, settings: Settings) -> None:
    """Bounds and checks that run before any route: body size and JSON shape, cross-site
    refusal of state changes, security headers (outermost, so refusals carry them too)."""
    from imgharvest.web.headers import SecurityHeaders
    from imgharvest.web.limits import BodyLimit, Limits
    from imgharvest.web.origin import SameOrigin

    limits = Limits(settings.max_request_bytes, settings.max_upload_bytes, settings.max_list_bytes)
    app.add_middleware(BodyLimit, limits=limits)
    app.add_middleware(SameOrigin, public_url=settings.public_url)
    app.add_middleware(SecurityHeaders)


def _field(loc: tuple[Any, ...]) -> str:
    # The top-level field: a union's branch names and list indexes are not field names.
    parts = [p for p in loc if isinstance(p, str) and p not in ("body", "query", "path")]
    return parts[0] if parts else "body"


async def _request_invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors: dict[str, str] = {}
    for err in exc.errors():
        field = _field(tuple(err.get("loc", ())))
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            message = f"{field[:40]} is not a field of this request"
        errors.setdefault(field, message)
    return JSONResponse({"errors": errors}, status_code=400)


async def _validation_failed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationFailed)
    return JSONResponse({"errors": exc.errors}, status_code=400)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if not request.url.path.startswith("/api/"):
        if "text/html" in request.headers.get("accept", ""):  # a browser: a page, not JSON
            return pages.http_error_page(request, exc)
        return await http_exception_handler(request, exc)
    detail = exc.detail
    errors = detail if isinstance(detail, dict) else {"detail": str(detail)}
    return JSONResponse({"errors": errors}, status_code=exc.status_code, headers=exc.headers)


async def _crash(request: Request, exc: Exception) -> Response:
    # Never a stack trace to the client; the log has it.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"errors": {"server": "internal error"}}, status_code=500)
