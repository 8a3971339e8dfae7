"""The web pages: search and crawl forms, "job submitted", the job page, downloads, error pages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from imgharvest.errors import InputError
from imgharvest.service.jobs import JobService
from imgharvest.service.schemas import (
    ValidationFailed,
    validate_crawl,
    validate_search,
)
from imgharvest.service.submissions import Idempotency
from imgharvest.service.views import JobView
from imgharvest.web import files, jobview, myjobs, outputs, security
from imgharvest.web.assets import WEB_DIR
from imgharvest.web.forms import form_fields
from imgharvest.web.idempotency import form_once
from imgharvest.web.render import FORM_KEYS, error_page, jobs_of, render
from imgharvest.web.thumbs import THUMB_BOX, thumbnail

router = APIRouter(include_in_schema=False)
THUMB_HEADERS = {"Cache-Control": "private, max-age=3600"}


def form_page(
    request: Request, name: str, values: Mapping[str, Any], errors: Mapping[str, str], status: int
) -> HTMLResponse:
    """A form, pre-filled, with a fresh CSRF token bound to the browser's cookie."""
    nonce = security.csrf_nonce(request)
    token = security.make_csrf_token(jobs_of(request).settings.secret(), nonce)
    active = "crawl" if name == "crawl.html" else "search"
    response = render(
        request, name, status, values=values, errors=errors, csrf_token=token, active=active
    )
    security.set_csrf_cookie(response, nonce, secure=request.url.scheme == "https")
    return response


def prefill(request: Request) -> dict[str, str]:
    """Form values from the query string (the re-submit links of failed-job emails)."""
    return {k: v for k, v in request.query_params.items() if k in FORM_KEYS}


@router.get("/", response_class=HTMLResponse)
def search_form(request: Request) -> HTMLResponse:
    """The search form."""
    return form_page(request, "search.html", prefill(request), {}, 200)


@router.get("/crawl", response_class=HTMLResponse)
def crawl_form(request: Request) -> HTMLResponse:
    """The crawl form (page URLs, one per line)."""
    return form_page(request, "crawl.html", prefill(request), {}, 200)


def is_json(request: Request) -> bool:
    """Whether the body is JSON (JSON in, JSON out; exempt from CSRF)."""
    return request.headers.get("content-type", "").split(";")[0].strip() == "application/json"


async def read_body(request: Request) -> dict[str, Any]:
    """The submitted fields, from JSON or from a form."""
    if is_json(request):
        try:
            data = json.loads(await request.body())
        except ValueError:
            raise ValidationFailed({"body": "the body is not valid JSON"}) from None
        if not isinstance(data, dict):
            raise ValidationFailed({"body": "the body must be a JSON object"})
        return data
    return await form_fields(request)


def is_crawl(data: Mapping[str, Any]) -> bool:
    """A crawl request says ``kind: crawl`` (the crawl form does), or sends ``urls``."""
    kind = str(data.get("kind") or "").strip().lower()
    return kind == "crawl" or (not kind and "urls" in data)


def create(request: Request, data: Mapping[str, Any], once: Idempotency | None = None) -> JobView:
    """Validate and store the job (or find the one ``once`` made); ``ValidationFailed`` names
    every bad field."""
    service, typed = jobs_of(request), is_json(request)
    now, client = service.clock.now(), security.client_key(request)
    if is_crawl(data):
        crawl = validate_crawl(data, service.settings, now, typed=typed)
        return service.create_crawl(crawl, client=client, idem=once)
    search = validate_search(data, service.settings, now, typed=typed)
    return service.create_search(search, client=client, idem=once)


def guard(request: Request, data: Mapping[str, Any]) -> Idempotency | None:
    """Every check before anything is done: the submit rate, the job-list cookie, and a form's
    CSRF token, which also keys the submission (a re-sent form makes no second job)."""
    settings = jobs_of(request).settings
    security.submit_limiter(request, settings.submit_rate_per_minute).check(
        security.client_key(request)
    )
    myjobs.mine(request)
    if is_json(request):
        return None
    nonce = request.cookies.get(security.CSRF_COOKIE, "")
    token = str(data.get(security.CSRF_FIELD, ""))
    security.check_csrf_token(settings.secret(), nonce, token)
    return form_once(token, data)


@router.get("/jobs", response_model=None)
def jobs_index() -> Response:
    """There is no list of every job: the address of the form's answer leads to the form."""
    return RedirectResponse("/", status_code=303)


@router.post("/jobs", response_model=None)
async def submit(request: Request) -> Response:
    """Create a job from the form (303 to the job's page: reloading it sends nothing again) or
    from JSON (201 with the job as JSON)."""
    try:
        data = await read_body(request)
    except ValidationFailed as exc:
        return invalid(request, {}, exc.errors)
    try:
        once = guard(request, data)
        view = await run_in_threadpool(create, request, data, once)
    except ValidationFailed as exc:
        return invalid(request, data, exc.errors)
    except InputError as exc:
        if exc.field != "Idempotency-Key":
            raise
        # this form's token already made a job, from other values
        return invalid(request, data, {security.CSRF_FIELD: RESENT}, 409)
    except HTTPException as exc:
        return refused(request, exc)
    return submitted(request, view)


RESENT = "this form was already sent with other values; check them and send it again"


def submitted(request: Request, view: JobView) -> Response:
    """The answer to a created job: JSON (201), or 303 to its page; it joins My jobs."""
    response: Response
    if is_json(request):
        response = JSONResponse(submitted_json(view), status_code=201)
    else:
        response = RedirectResponse(f"/jobs/{view.id}?submitted=1", status_code=303)
    myjobs.remember(request, response, view.id)
    return response


def invalid(
    request: Request, data: Mapping[str, Any], errors: dict[str, str], status: int = 400
) -> Response:
    """400: JSON with a message per field, or the form again naming each bad field."""
    if is_json(request):
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
        return JSONResponse({"detail": detail, "errors": errors}, status_code=status)
    values = {k: v for k, v in data.items() if k in FORM_KEYS}
    page = "crawl.html" if is_crawl(data) else "search.html"
    return form_page(request, page, values, errors, status)


REFUSED_TITLES = {400: "Damaged cookie", 403: "Form expired", 429: "Too many requests"}


def refused(request: Request, exc: HTTPException) -> Response:
    """403 (CSRF), 400 (a damaged cookie) or 429 (rate limit), as JSON or as an error page."""
    headers = dict(exc.headers or {})
    if is_json(request):
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=headers)
    title = REFUSED_TITLES.get(exc.status_code, "Not accepted")
    return error_page(request, exc.status_code, title, str(exc.detail), headers=headers)


def submitted_json(view: JobView) -> dict[str, Any]:
    """The JSON answer of a created job (with the owner token that cancels or retries it)."""
    return {
        "id": view.id, "kind": view.kind, "status": view.status,
        "run_at": view.run_at.isoformat(), "job_url": view.job_url,
        "api_url": f"/api/v1/jobs/{view.id}", "owner_token": view.owner_token,
    }  # fmt: skip


def job_template(
    request: Request, job_id: str, name: str, page: int = 1, **extra: Any
) -> HTMLResponse:
    """``name`` rendered for the job, or the 404 page."""
    view = _viewed(jobs_of(request), job_id, page) if len(job_id) <= 64 else None
    if view is None:
        message = "No job has this id. Check the link, or submit a new request."
        return error_page(request, 404, "Job not found", message)
    return render(request, name, job=jobview.context(view, page), **extra)


def _viewed(jobs: JobService, job_id: str, page: int) -> JobView | None:
    """The job with the image rows its page shows: the gallery page's (the last one past the
    end), or every found link of a links-only crawl."""
    view = jobs.get(job_id, window=jobview.window(page))
    if view is not None and view.links_only:
        return jobs.get(job_id)
    last = jobview.last_page(view.images_total or 0) if view is not None else page
    return jobs.get(job_id, window=jobview.window(last)) if page > last else view


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str, page: str = "1", submitted: str = "") -> HTMLResponse:
    """The job page: status, live progress, events, gallery (``page`` of it), download; just
    after the form made the job (``submitted``), a word that it was received."""
    number = int(page) if page.isdigit() and len(page) < 7 else 1
    return job_template(request, job_id, "job.html", number, just_submitted=submitted == "1")


@router.get("/jobs/{job_id}/live", response_class=HTMLResponse)
def job_live(request: Request, job_id: str) -> HTMLResponse:
    """The live part of the job page (the page's script swaps it in while the job runs)."""
    response = job_template(request, job_id, "_job_live.html")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/jobs/{job_id}/thumbs/{position}", response_model=None)
async def job_thumb(request: Request, job_id: str, position: int) -> Response:
    """A gallery thumbnail: from the job's thumbnail packs (a page read once, then served from
    memory on the event loop), else made from the image in the job's archive."""
    cache = request.app.state.thumbs
    packed = cache.peek(job_id, position) if len(job_id) <= 64 else None
    if packed is None and len(job_id) <= 64:
        packed = await run_in_threadpool(cache.tile, jobs_of(request), job_id, position)
    if packed is not None:
        return Response(packed, media_type="image/jpeg", headers=THUMB_HEADERS)
    return await run_in_threadpool(_archive_thumb, request, job_id, position)


def _archive_thumb(request: Request, job_id: str, position: int) -> Response:
    service = jobs_of(request)
    rows = service.images(job_id) if len(job_id) <= 64 else None
    row = rows[position] if rows and 0 <= position < len(rows) else None
    data = service.image_bytes(job_id, str(row["file"])) if row else None
    if data is None:
        return Response(status_code=404)
    return Response(thumbnail(data, THUMB_BOX), media_type="image/jpeg", headers=THUMB_HEADERS)


@router.get("/jobs/{job_id}/images/{position}", response_model=None)
def job_image(request: Request, job_id: str, position: int) -> Response:
    """One harvested image, from the job's archive, to view or save on its own."""
    found = files.image(jobs_of(request), job_id, position) if len(job_id) <= 64 else None
    if found is None:
        return Response(status_code=404)
    data, name, media = found
    headers = {"Cache-Control": "private, max-age=3600",
               "Content-Disposition": files.disposition("inline", name)}  # fmt: skip
    return Response(data, media_type=media, headers=headers)


@router.get("/jobs/{job_id}/links.csv", response_model=None)
def job_links_csv(request: Request, job_id: str) -> Response:
    """A crawl's image links (or a job's images) as CSV."""
    rows = jobs_of(request).images(job_id) if len(job_id) <= 64 else None
    if rows is None:
        return error_page(request, 404, "Job not found", "No job has this id.")
    headers = {"Content-Disposition": files.disposition("attachment", f"links-{job_id}.csv"),
               "Cache-Control": "no-store"}  # fmt: skip
    return Response(files.links_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/d/{token}", response_model=None)
def download(request: Request, token: str) -> Response:
    """The zip behind a link, or "This link has expired" (410), or an unknown link (404)."""
    target = jobs_of(request).resolve_link(token) if len(token) <= 128 else None
    if target is not None and target.kind == "ok" and target.url is not None:
        # A remote store: the browser fetches the archive itself, for the link's remaining life.
        return RedirectResponse(target.url, status_code=307, headers={"Cache-Control": "no-store"})
    if target is not None and target.kind == "files":
        return outputs.listing(request, token, target)
    if target is not None and target.kind == "ok" and target.path is not None:
        name = target.filename or "images.zip"
        return FileResponse(target.path, media_type="application/zip", filename=name)
    if target is not None and target.kind == "expired":
        message = "The archive was deleted when its link expired. You can submit the request again."
        job_url = f"/jobs/{target.job_id}" if target.job_id else "/"
        return error_page(
            request, 410, "This link has expired", message,
            action_url=job_url, action_text="Open the job page" if target.job_id else None,
        )  # fmt: skip
    message = "This download link is not known. Check that it was copied completely."
    return error_page(request, 404, "Link not found", message)


@router.get("/favicon.ico", response_model=None)
def favicon() -> Response:
    """The site's icon (browsers ask for it on every page)."""
    icon = WEB_DIR / "static" / "favicon.ico"
    headers = {"Cache-Control": "public, max-age=86400"}
    return FileResponse(icon, media_type="image/x-icon", headers=headers)


ERROR_TITLES = {404: "Page not found", 405: "Method not allowed", 410: "Gone"}


def http_error_page(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
    """An HTTP error outside ``/api`` as a page (``create_app``'s handler may call this)."""
    title = ERROR_TITLES.get(exc.status_code, "Something went wrong")
    message = "There is nothing at this address." if exc.status_code == 404 else str(exc.detail)
    return error_page(request, exc.status_code, title, message, headers=dict(exc.headers or {}))
