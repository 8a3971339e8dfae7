"""``GET /healthz``: is the database reachable, the queue, which processes are alive; and a 503
(never a 500) while the database is away."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from imgharvest.service.fleet import Fleet
from imgharvest.service.services import Services

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


def register(app: FastAPI) -> None:
    """Add ``/healthz`` (a database that is away answers 503 through ``web.unavailable``)."""
    app.include_router(router)
