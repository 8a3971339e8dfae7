"""``GET /healthz``: is the database reachable, the queue, which processes are alive; and a 503
(never a 500) while the database is away."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from imgharvest.dbretry import is_connection_error
from imgharvest.fleet import Fleet
from imgharvest.services import Services

router = APIRouter(tags=["health"])
log = logging.getLogger("imgharvest.web")


def _database(services: Services) -> bool:
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError:
        return False
    return True


def _queue(services: Services) -> bool:
    try:
        services.queue.pending_count()
    except Exception:  # any queue backend's connection error
        return False
    return True


def report(services: Services) -> dict[str, Any]:
    """The health document (also what ``imgharvest`` operators poll)."""
    database, queue = _database(services), _queue(services)
    members = Fleet(services.sessions, services.clock, "web").alive() if database else []
    return {
        "status": "ok" if database and queue else "degraded",
        "database": database, "queue": queue,
        "processes": [
            {"id": m.id, "role": m.role, "started_at": m.started_at.isoformat(),
             "seen_at": m.seen_at.isoformat()}
            for m in members
        ],
        "workers": sum(1 for m in members if m.role == "worker"),
    }  # fmt: skip


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers (the queue may be down: jobs then wait), else 503."""
    body = await run_in_threadpool(report, request.app.state.services)
    return JSONResponse(body, status_code=200 if body["database"] else 503)


async def _database_away(request: Request, exc: Exception) -> Response:
    if not is_connection_error(exc):
        log.exception("database error on %s %s", request.method, request.url.path)
        return JSONResponse({"errors": {"server": "internal error"}}, status_code=500)
    log.warning("database unreachable on %s %s: %s", request.method, request.url.path, exc)
    body = {"errors": {"server": "the database is unavailable; try again in a moment"}}
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


def register(app: FastAPI) -> None:
    """Add ``/healthz`` and the 503 for an unreachable database."""
    app.include_router(router)
    app.add_exception_handler(DBAPIError, _database_away)
