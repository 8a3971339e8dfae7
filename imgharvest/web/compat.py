"""The original crawler's API, verbatim (DESIGN §6): ``POST /``, ``/status/<id>``, ``/result/<id>``.

Its clients send page URLs one per line in a multipart field ``inputs`` and
read an envelope ``{"status": {"statusMsg", "statusDetails", "statusCode"}, "result"}``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from imgharvest.jobs import ACTIVE, JobService
from imgharvest.schemas import ValidationFailed, validate_crawl
from imgharvest.web.api import count_submission

router = APIRouter(include_in_schema=False)

MAX_INPUT_BYTES = 1024 * 1024


def envelope(result: Any, code: str = "HTTPOk", message: str = "OK", status: int = 200,
             details: dict[str, Any] | None = None) -> JSONResponse:  # fmt: skip
    """The crawler's answer shape."""
    body = {
        "status": {"statusMsg": message, "statusDetails": details or {}, "statusCode": code},
        "result": result,
    }
    return JSONResponse(body, status_code=status)


def not_found(job_id: str) -> JSONResponse:
    """``ResourceNotFound`` with HTTP 404."""
    return envelope(None, "ResourceNotFound", f"job {job_id[:64]} not found", 404)


def bad_request(errors: dict[str, str]) -> JSONResponse:
    """``BadRequest`` with HTTP 400 and a message per field."""
    message = "; ".join(errors.values())
    return envelope(None, "BadRequest", message, 400, {"errors": errors})


def _jobs(request: Request) -> JobService:
    jobs: JobService = request.app.state.services.jobs
    return jobs


async def _inputs(request: Request) -> str:
    async with request.form() as form:
        value = form.get("inputs")
        if isinstance(value, UploadFile):
            raw = await value.read(MAX_INPUT_BYTES + 1)
            value = raw.decode("utf-8", errors="replace")
    if len(value or "") > MAX_INPUT_BYTES:
        raise ValidationFailed({"inputs": "inputs is larger than 1 MiB"})
    if not value:
        raise ValidationFailed({"inputs": "inputs is required: page URLs, one per line"})
    return value


def _create(jobs: JobService, text: str) -> str:
    try:
        req = validate_crawl({"urls": text}, jobs.settings, jobs.clock.now())
    except ValidationFailed as exc:
        raise ValidationFailed({"inputs": "; ".join(exc.errors.values())}) from None
    return jobs.create_crawl(req).id


@router.post("/")
async def submit(request: Request) -> JSONResponse:
    """Start a crawl of the page URLs in ``inputs``; result ``"job_id: <id>"``."""
    count_submission(request)
    try:
        text = await _inputs(request)
        job_id = await run_in_threadpool(_create, _jobs(request), text)
    except ValidationFailed as exc:
        return bad_request(exc.errors)
    return envelope(f"job_id: {job_id}")


@router.get("/status/{job_id}")
def status(request: Request, job_id: str) -> JSONResponse:
    """Pages crawled so far (``completed``) and still to crawl (``in_process``)."""
    view = _jobs(request).get(job_id, with_images=False) if len(job_id) <= 64 else None
    if view is None:
        return not_found(job_id)
    left = view.pages_total - view.pages_done if view.status in ACTIVE else 0
    return envelope({"completed": view.pages_done, "in_process": max(0, left)})


@router.get("/result/{job_id}")
def result(request: Request, job_id: str) -> JSONResponse:
    """Every image link found so far."""
    rows = _jobs(request).images(job_id) if len(job_id) <= 64 else None
    if rows is None:
        return not_found(job_id)
    links = [str(row["url"]) for row in rows]
    return envelope({"count": len(links), "img_links": links})
