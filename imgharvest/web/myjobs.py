"""The "My jobs" page: the jobs this browser submitted, with cancel and re-run buttons.

Which jobs are "mine" comes from a signed cookie (``imgharvest.web.history``); the
buttons are forms protected by the same CSRF token as the job forms, and act
only on jobs the cookie lists.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from imgharvest.errors import InputError
from imgharvest.service.jobdata import ACTIVE, EXPIRED
from imgharvest.service.jobs import JobService
from imgharvest.service.views import JobView
from imgharvest.web import history, jobview, security
from imgharvest.web.assets import sentence
from imgharvest.web.forms import form_fields
from imgharvest.web.render import error_page, render

router = APIRouter(include_in_schema=False)

NOTICES = {"cancelled": "The job was cancelled.", "rerun": "The job was submitted again."}


def _jobs(request: Request) -> JobService:
    jobs: JobService = request.app.state.services.jobs
    return jobs


class DamagedCookie(HTTPException):
    """The job-list cookie holds what this app never writes (HTTP 400; the answer clears it)."""

    def __init__(self) -> None:
        clear = f'{history.COOKIE}=""; Max-Age=0; Path=/; HttpOnly; SameSite=Lax'
        message = (
            f"The browser sent a damaged {history.COOKIE} cookie; it has been cleared. "
            "Reload the page and send the request again."
        )
        super().__init__(400, message, headers={"Set-Cookie": clear})


def mine(request: Request) -> list[str]:
    """The job ids this browser's cookie lists, newest first; ``DamagedCookie`` (400) for a
    cookie that holds anything but printable ASCII (checked before anything is done)."""
    value = request.cookies.get(history.COOKIE)
    if not history.readable(value):
        raise DamagedCookie()
    return history.decode(_jobs(request).settings.secret(), value)


def remember(request: Request, response: Response, job_id: str) -> None:
    """Add ``job_id`` to this browser's list (the oldest fall off past ``history.KEEP``)."""
    ids = history.remember(mine(request), job_id)
    value = history.encode(_jobs(request).settings.secret(), ids)
    response.set_cookie(history.COOKIE, value, max_age=history.MAX_AGE, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")  # fmt: skip


def row(view: JobView) -> dict[str, Any]:
    """One line of the list: what, status, counts, times, and which buttons apply."""
    zone = jobview.zone_of(view)
    return {
        "id": view.id, "url": f"/jobs/{view.id}", "title": jobview.title_of(view),
        "kind": view.kind, "status": view.status,
        "status_label": jobview.STATUS_LABEL.get(view.status, view.status),
        "status_class": jobview.STATUS_CLASS.get(view.status, "secondary"),
        "counts": jobview.counts_text(view),
        "created_at": jobview.iso(view.created_at),
        "created_text": jobview.time_text(view.created_at, zone),
        "run_at": jobview.iso(view.run_at), "run_text": jobview.time_text(view.run_at, zone),
        "expires_at": jobview.iso(view.expires_at),
        "expires_text": jobview.time_text(view.expires_at, zone),
        "can_cancel": view.status in ACTIVE,
        "can_rerun": view.status not in ACTIVE and view.status != EXPIRED,
    }  # fmt: skip


@router.get("/my-jobs", response_class=HTMLResponse)
def my_jobs(request: Request) -> HTMLResponse:
    """The list, newest first."""
    try:
        ids = mine(request)
    except DamagedCookie as exc:
        return _refused(request, exc)
    views = _jobs(request).many(ids)
    nonce = security.csrf_nonce(request)
    token = security.make_csrf_token(_jobs(request).settings.secret(), nonce)
    notice = NOTICES.get(request.query_params.get("done", ""))
    response = render(request, "my_jobs.html", jobs=[row(v) for v in views], csrf_token=token,
                      notice=notice, active="mine")  # fmt: skip
    security.set_csrf_cookie(response, nonce, secure=request.url.scheme == "https")
    response.headers["Cache-Control"] = "no-store"
    return response


async def _checked(request: Request, job_id: str) -> None:
    """The form's CSRF token is valid and the job is on this browser's list (else 403/404)."""
    token = (await form_fields(request)).get(security.CSRF_FIELD, "")
    nonce = request.cookies.get(security.CSRF_COOKIE, "")
    security.check_csrf_token(_jobs(request).settings.secret(), nonce, token)
    if job_id not in mine(request):
        raise HTTPException(404, "This job is not on your list.")


def _refused(request: Request, exc: HTTPException | InputError) -> HTMLResponse:
    if isinstance(exc, InputError):
        return error_page(request, 409, "Not possible", sentence(exc.message) + ".",
                          action_url="/my-jobs", action_text="Back to my jobs")  # fmt: skip
    title = {400: "Damaged cookie", 403: "Form expired", 404: "Job not found",
             429: "Too many requests"}  # fmt: skip
    return error_page(request, exc.status_code, title.get(exc.status_code, "Not possible"),
                      str(exc.detail), headers=dict(exc.headers or {}),
                      action_url="/my-jobs", action_text="Back to my jobs")  # fmt: skip


@router.post("/my-jobs/{job_id}/cancel", response_model=None)
async def cancel(request: Request, job_id: str) -> Response:
    """Cancel a scheduled or running job of this browser."""
    try:
        await _checked(request, job_id)
        await run_in_threadpool(_jobs(request).cancel, job_id)
    except (HTTPException, InputError) as exc:
        return _refused(request, exc)
    return RedirectResponse("/my-jobs?done=cancelled", status_code=303)


@router.post("/my-jobs/{job_id}/rerun", response_model=None)
async def rerun(request: Request, job_id: str) -> Response:
    """Submit an ended job of this browser again, to run now; the new job joins the list."""
    jobs = _jobs(request)
    try:
        await _checked(request, job_id)
        limit = jobs.settings.submit_rate_per_minute
        security.submit_limiter(request, limit).check(security.client_key(request))
        view = await run_in_threadpool(jobs.retry, job_id)
    except (HTTPException, InputError) as exc:
        return _refused(request, exc)
    response = RedirectResponse("/my-jobs?done=rerun", status_code=303)
    if view is not None:
        remember(request, response, view.id)
    return response
