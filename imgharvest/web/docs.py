"""``/docs`` (Swagger UI) and ``/redoc`` pages built on local asset files, never a CDN."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from imgharvest.web.assets import DOCS_PREFIX

router = APIRouter(include_in_schema=False)
TITLE = "imgharvest API"
# The browser may load nothing from elsewhere (ReDoc's footer logo would come from a CDN).
LOCAL_ONLY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = LOCAL_ONLY
    return page


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    """The interactive API reference."""
    return _local_only(
        get_swagger_ui_html(
            openapi_url=request.app.openapi_url,
            title=TITLE,
            swagger_js_url=f"{DOCS_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_PREFIX}/favicon.png",
        )
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    """The API reference as one long page."""
    return _local_only(
        get_redoc_html(
            openapi_url=request.app.openapi_url,
            title=TITLE,
            redoc_js_url=f"{DOCS_PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_PREFIX}/favicon.png",
            with_google_fonts=False,
        )
    )
