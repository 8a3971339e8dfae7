"""The original crawler's API, verbatim (DESIGN §6): ``POST /``, ``/status/<id>``, ``/result/<id>``.

Its clients send page URLs separated by any whitespace in a multipart field
``inputs`` and read an envelope ``{"status": {"statusMsg", "statusDetails",
"statusCode"}, "result"}``. Ids are integers; an unknown one is HTTP 200 with
``ResourceNotFound`` (as the original answers), and so is one whose link has
expired; a non-integer one is 404. Tokens of ``inputs`` that are not http(s) URLs
are skipped and named in ``statusDetails``. Bodies are laid out as the original's
(keys sorted, two-space indent), so line-based clients keep working.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from imgharvest.service.compat import CompatJobs, Inputs, read_inputs
from imgharvest.service.schemas import ValidationFailed
from imgharvest.web import security
from imgharvest.web.api import count_submission

router = APIRouter(include_in_schema=False)

MAX_INPUT_BYTES = 1024 * 1024
MAX_ID_DIGITS = 18


class OriginalJSON(JSONResponse):
    """JSON as the original crawler wrote it: keys sorted, two-space indent, ASCII only."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, indent=2, sort_keys=True, separators=(",", ": "))
        return (text + "\n").encode("ascii")


def envelope(result: Any, code: str = "HTTPOk", message: str = "OK", status: int = 200,
             details: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
    """The crawler's answer shape."""
    body = {
        "status": {"statusMsg": message, "statusDetails": details or {}, "statusCode": code},
        "result": result,
    }
    return OriginalJSON(body, status_code=status, headers=headers)


def not_found(text: str) -> JSONResponse:
    """``ResourceNotFound`` with HTTP 200, as the original answers an unknown id."""
    return envelope(text, "ResourceNotFound", "Resource not found")


def invalid(errors: dict[str, str], status: int = 400,
            headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
    """``InvalidRequest`` with a message per field."""
    message = "; ".join(errors.values())
    return envelope(None, "InvalidRequest", message, status, {"errors": errors}, headers)


def _compat(request: Request) -> CompatJobs:
    return CompatJobs(request.app.state.services.jobs)


def _number(job_id: str) -> int | None:
    """The integer id, or None (the original's routes only match integers)."""
    if not job_id.isdigit() or not job_id.isascii() or len(job_id) > MAX_ID_DIGITS:
        return None
    return int(job_id)


def no_route(job_id: str) -> JSONResponse:
    """A non-integer id: 404, in the envelope."""
    return invalid({"job_id": f"job_id must be a whole number, not {job_id[:40]!r}"}, 404)


async def _inputs(request: Request) -> Inputs:
    async with request.form() as form:
        value = form.get("inputs")
        if isinstance(value, UploadFile):
            raw = await value.read(MAX_INPUT_BYTES + 1)
            value = raw.decode("utf-8", errors="replace")
    if len(value or "") > MAX_INPUT_BYTES:
        raise ValidationFailed({"inputs": "inputs is larger than 1 MiB"})
    if not value or not value.strip():
        raise ValidationFailed({"inputs": "inputs is required: page URLs separated by whitespace"})
    return await run_in_threadpool(read_inputs, value)


def skipped_details(inputs: Inputs) -> dict[str, Any]:
    """``statusDetails`` of an accepted batch: the tokens skipped, and why."""
    if not inputs.skipped_count:
        return {}
    return {"skipped": inputs.skipped, "skippedCount": inputs.skipped_count}


@router.post("/")
async def submit(request: Request) -> JSONResponse:
    """Start a one-hop crawl of the page URLs in ``inputs``; result ``"job_id: <int>"``; the
    tokens that are not http(s) URLs are skipped and named in ``statusDetails``."""
    try:
        count_submission(request)
        inputs = await _inputs(request)
        client = security.client_key(request)
        number = await run_in_threadpool(_compat(request).create, inputs, client)
    except ValidationFailed as exc:
        return invalid(exc.errors)
    except HTTPException as exc:
        return invalid({"request": str(exc.detail)}, exc.status_code, dict(exc.headers or {}))
    return envelope(f"job_id: {number}", details=skipped_details(inputs))


@router.get("/status/{job_id}")
async def status(request: Request, job_id: str) -> JSONResponse:
    """Pages read so far (``completed``) and being read now (``in_process``)."""
    number = _number(job_id)
    if number is None:
        return no_route(job_id)
    found = await run_in_threadpool(_compat(request).status, number)
    if found is None:
        return not_found(f"No status found for the given job_id {number}")
    return envelope({"completed": found.completed, "in_process": found.in_process})


@router.get("/result/{job_id}")
async def result(request: Request, job_id: str) -> JSONResponse:
    """Every image link found so far (the list grows while the job runs)."""
    number = _number(job_id)
    if number is None:
        return no_route(job_id)
    links = await run_in_threadpool(_compat(request).links, number)
    if links is None:
        return not_found(f"No result found for the given job_id {number}")
    return envelope({"count": len(links), "img_links": links})
