"""The OpenAPI schema as served: exactly the statuses each operation returns.

FastAPI documents a 422 for every operation with parameters; this app
answers invalid input with 400 (a message per field) instead, so the 422s
and their schemas are taken out.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

UNUSED = ("HTTPValidationError", "ValidationError")


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """The app's schema without the 422 answers it never gives."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    components = schema.get("components", {}).get("schemas", {})
    for name in UNUSED:
        components.pop(name, None)
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    """Serve ``openapi_schema`` at ``/openapi.json``."""
    app.openapi = lambda: openapi_schema(app)  # type: ignore[method-assign]
