"""``POST /job_submitted``: the original downloader's own form, as it was (DESIGN §6).

That form posts ``search-query``, ``date``, ``time``, ``email`` and ``images``, with no CSRF
token. In the token's place the browser must show that a page of this site sent it
(``Sec-Fetch-Site: same-origin``, or an ``Origin`` of this site): every browser sends one of
them with a form post, so a request with neither is a script's and is refused too (scripts
have ``POST /jobs`` with JSON, and the API). The answer is the app's own form's: 303 to the
job's page, or the form again naming each bad field.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from imgharvest.service.schemas import ValidationFailed
from imgharvest.web import myjobs, pages, security
from imgharvest.web.forms import form_fields
from imgharvest.web.origin import not_shown_same_origin, origin_of
from imgharvest.web.render import error_page, jobs_of

router = APIRouter(include_in_schema=False)

FIELDS = ("search-query", "date", "time", "email", "images")


def _check(request: Request) -> None:
    """Same origin shown, submit rate, job-list cookie: all before anything is done."""
    settings = jobs_of(request).settings
    why = not_shown_same_origin(request.scope, origin_of(settings.public_url))
    if why is not None:
        raise HTTPException(403, f"This form must be sent from this site's own page ({why}).")
    limiter = security.submit_limiter(request, settings.submit_rate_per_minute)
    limiter.check(security.client_key(request))
    myjobs.mine(request)


def _refused(request: Request, exc: HTTPException) -> Response:
    title = {400: "Damaged cookie", 429: "Too many requests"}.get(exc.status_code, "Not accepted")
    headers = dict(exc.headers or {})
    return error_page(request, exc.status_code, title, str(exc.detail), headers=headers)


@router.post("/job_submitted", response_model=None)
async def job_submitted(request: Request) -> Response:
    """Create a search job from the original form's fields."""
    try:
        _check(request)
    except HTTPException as exc:
        return _refused(request, exc)
    data: dict[str, str] = {}
    try:
        fields = await form_fields(request)
        data = {key: fields[key] for key in FIELDS if key in fields}
        view = await run_in_threadpool(pages.create, request, data)
    except ValidationFailed as exc:
        return pages.invalid(request, data, exc.errors)
    return pages.submitted(request, view)
