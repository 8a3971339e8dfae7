"""The REST API ``/api/v1``: create search and crawl jobs, read them, list images, cancel, retry."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from imgharvest.errors import InputError
from imgharvest.licences import POLICIES
from imgharvest.service.fields import TEXT_PATTERN, URL_PATTERN
from imgharvest.service.jobs import JobService
from imgharvest.service.schemas import (
    MAX_CRAWL_URLS,
    MAX_DEPTH,
    MAX_DIMENSION,
    MAX_QUERY_LENGTH,
    MAX_SOURCES,
    NUMBER_PATTERN,
    SEARCH_SOURCES,
    WEB_FORMATS,
    CrawlRequest,
    SearchRequest,
    ValidationFailed,
    validate_crawl,
    validate_search,
)
from imgharvest.service.submissions import Idempotency
from imgharvest.service.views import JobView
from imgharvest.service.when import api_run_at
from imgharvest.web import security
from imgharvest.web.idempotency import idempotency
from imgharvest.web.owner import require_owner
from imgharvest.web.serial import one_at_a_time

router = APIRouter(prefix="/api/v1", tags=["jobs"])
# A router of its own: a route's tag adds to its router's, and /docs would list it twice.
sources_router = APIRouter(prefix="/api/v1", tags=["sources"])

# API names -> the validator's (form) names; errors are reported under the API names.
SEARCH_KEYS = {"query": "search-query", "count": "images", "min_width": "min-width",
               "min_height": "min-height", "max_side": "max-side"}  # fmt: skip
CRAWL_KEYS = {"count": "images"}


# The models document the request (OpenAPI); the shared validator (imgharvest.service.schemas)
# decides, with the same strict rules as the form, and names every bad field at once.
# Numbers are JSON integers (never booleans) or strings of ASCII digits.
def _number(low: int, high: int | None = None, **extra: Any) -> Any:
    whole: dict[str, Any] = {"type": "integer", "minimum": low}
    if high is not None:
        whole["maximum"] = high
    # Digits as text: up to 9 ASCII digits, leading zeros allowed ("05" is 5), in the same range.
    return _doc({"anyOf": [whole, {"type": "string", "pattern": NUMBER_PATTERN}], **extra})


def _doc(schema: dict[str, Any]) -> Any:
    """An optional field the validator checks, documented by ``schema``."""
    return Field(None, json_schema_extra=schema)


TEXT_LIST = {"type": "array", "items": {"type": "string"}}
RUN_AT = {
    "type": "string", "format": "date-time", "minLength": 1, "maxLength": 64,
    "description": "ISO 8601, at most a year ahead; without an offset, in TIMEZONE; "
    "omitted, or a time in the past: now",
}  # fmt: skip
COUNT = "1 to MAX_IMAGES (500 unless configured)"


class SearchJobIn(BaseModel):
    """A search job: N images of a query, now or at ``run_at``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"required": ["query", "count"]})

    query: Any = _doc({"type": "string", "minLength": 1, "maxLength": MAX_QUERY_LENGTH,
                       "pattern": TEXT_PATTERN, "examples": ["red fox"],
                       "description": "no control or bidi-override characters"})  # fmt: skip
    count: Any = _number(1, description=COUNT, examples=[50])
    email: Any = _doc({"type": ["string", "null"], "format": "email", "maxLength": 320,
                       "description": "optional for programs: who gets the emails",
                       "examples": ["me@example.org"]})  # fmt: skip
    run_at: Any = _doc(RUN_AT)
    sources: Any = _doc({
        "anyOf": [{**TEXT_LIST, "maxItems": MAX_SOURCES}, {"type": "string"}],
        "description": f"source names, a list or comma-separated: {', '.join(SEARCH_SOURCES)}",
        "examples": [["bing", "wikimedia"]],
    })  # fmt: skip
    min_width: Any = _number(0, MAX_DIMENSION)
    min_height: Any = _number(0, MAX_DIMENSION)
    format: Any = _doc({"type": "string", "enum": list(WEB_FORMATS),
                        "description": "zip (default), imagefolder, webdataset or parquet, "
                        "delivered as one zip"})  # fmt: skip
    max_side: Any = _number(0, MAX_DIMENSION, description="shrink to fit this many pixels")
    licence: Any = _doc({"type": "string", "enum": list(POLICIES),
                         "description": "any (default), open or commercial"})  # fmt: skip


class CrawlJobIn(BaseModel):
    """A crawl job: every image link on the given pages, optionally downloaded."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"required": ["urls"]})

    urls: Any = _doc({
        "anyOf": [{"type": "array", "items": {"type": "string", "pattern": URL_PATTERN},
                   "minItems": 1, "maxItems": MAX_CRAWL_URLS}, {"type": "string"}],
        "description": "http(s) page URLs (a host name or address, a port 1-65535, no spaces or "
        "control characters): a list, or text with one per line",
        "examples": [["https://example.org/gallery"]],
    })  # fmt: skip
    email: Any = _doc({"type": ["string", "null"], "maxLength": 320,
                       "description": "optional: who gets the emails"})  # fmt: skip
    run_at: Any = _doc(RUN_AT)
    depth: Any = _number(0, MAX_DEPTH)
    download: Any = _doc({"type": "boolean", "description": "also download the images"})
    count: Any = _number(1, description=COUNT + "; with download")
    render: Any = _doc({"type": "boolean", "description": "load each page in Chromium first"})


# What the docs pages show as a request to send: each one is accepted as it stands.
SEARCH_EXAMPLES = {
    "now": {
        "summary": "50 images, now",
        "value": {
            "query": "red fox",
            "count": 50,
            "email": "me@example.org",
            "sources": ["bing", "wikimedia"],
        },
    }
}
CRAWL_EXAMPLES = {"links": {"summary": "The image links of a page", "value": {
    "urls": ["https://example.org/gallery"], "download": False}}}  # fmt: skip


class EventOut(BaseModel):
    at: datetime
    level: str
    message: str
    worker: str | None = None


class JobOut(BaseModel):
    """A job: status, progress counts, download link and expiry, events."""

    id: str
    kind: str
    status: str
    query: str
    run_at: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    wanted: int
    tried: int
    kept: int
    rejected: dict[str, int]
    pages_total: int
    pages_done: int
    progress: float
    summary: str | None
    error: str | None
    job_url: str
    download_url: str | None
    expires_at: datetime | None
    resubmit_url: str | None
    shards_total: int = 0
    shards_done: int = 0
    events: list[EventOut]


class CreatedJobOut(JobOut):
    """A job just created, with the credential to manage it."""

    owner_token: str | None = Field(
        description="Send it as `Authorization: Bearer <owner_token>` to cancel or retry the "
        "job. Only this answer holds it (and a replay with the same Idempotency-Key)."
    )


class ImageOut(BaseModel):
    """One kept image (its manifest row) or, for a crawl that only lists links, one link."""

    file: str = Field(description="path in the zip; empty for a found link")
    url: str
    page_url: str
    source: str
    title: str
    width: int
    height: int
    format: str
    bytes: int
    sha256: str
    phash: str
    licence: str
    licence_url: str
    creator: str
    query: str
    rank: int
    caption: str
    fetched_at: str
    label: str
    split: str
    chosen: str = Field(description="why this copy was taken as the picture's largest")
    copy_of: str = Field(
        description="a found link that is another copy of a picture: the URL of the picture's "
        "largest copy (the one a download takes); empty for the picture itself"
    )


class ErrorsOut(BaseModel):
    errors: dict[str, str]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers an operation documents (each ``{"errors": {field: message}}``)."""
    return {status: {"model": ErrorsOut, "description": STATUS_TEXT[status]} for status in statuses}


STATUS_TEXT = {
    400: "Invalid request: a message per bad field",
    401: "No owner credential (owner token or My-jobs cookie)",
    403: "Cross-site request refused, or not the job's owner credential",
    404: "No job with this id", 409: "The job's status does not allow this",
    413: "Request body too large", 429: "Too many submissions (see Retry-After)",
    503: "Database unavailable, damaged or full",
}  # fmt: skip
CREATE = errors(400, 403, 413, 429, 503)
READ = errors(404, 503)
SOURCES = errors(400)
CANCEL = errors(400, 401, 403, 404, 409, 413, 503)
RETRY = errors(400, 401, 403, 404, 409, 413, 429, 503)


def service(request: Request) -> JobService:
    """The app's job service."""
    jobs: JobService = request.app.state.services.jobs
    return jobs


def job_out(view: JobView) -> JobOut:
    """The API shape of a job."""
    fields = {name: getattr(view, name) for name in JobOut.model_fields if name != "events"}
    events = [EventOut(at=e.at, level=e.level, message=e.message, worker=e.worker)
              for e in view.events]  # fmt: skip
    return JobOut(**fields, events=events)


def not_found(job_id: str) -> HTTPException:
    """404 for an unknown job id (rendered as ``{"errors": {"id": …}}``)."""
    return HTTPException(404, {"id": f"no job with id {job_id[:64]!r}"})


def form_data(body: BaseModel, keys: dict[str, str], jobs: JobService) -> dict[str, Any]:
    """The validator's fields from an API body (``run_at`` as date, time and zone UTC)."""
    data = {keys.get(k, k): v for k, v in body.model_dump().items() if v is not None}
    run_at, now = data.pop("run_at", None), jobs.clock.now()
    try:
        at = now if run_at is None else api_run_at(run_at, jobs.settings.timezone, now)
    except InputError as exc:
        raise ValidationFailed({"run_at": exc.message}) from None
    data.update(date=at.date().isoformat(), time=at.time().isoformat("seconds"), tz="UTC")
    return data


def renamed(exc: ValidationFailed, keys: dict[str, str]) -> ValidationFailed:
    """Validator errors under the API's field names (``date``/``time`` become ``run_at``)."""
    back = {v: k for k, v in keys.items()} | {"date": "run_at", "time": "run_at", "tz": "run_at"}
    errors: dict[str, str] = {}
    for field, message in exc.errors.items():
        errors.setdefault(back.get(field, field), message)
    return ValidationFailed(errors)


def _validated(jobs: JobService, body: BaseModel, keys: dict[str, str], validate: Any) -> Any:
    try:
        return validate(form_data(body, keys, jobs), jobs.settings, jobs.clock.now(), typed=True)
    except ValidationFailed as exc:
        raise renamed(exc, keys) from None


def _create_search(
    jobs: JobService, body: SearchJobIn, client: str | None, idem: Idempotency | None
) -> JobView:
    # Programs may omit the address: the job page and the API show the result.
    validate = functools.partial(validate_search, email_required=False)
    req: SearchRequest = _validated(jobs, body, SEARCH_KEYS, validate)
    return _conflict_409(lambda: jobs.create_search(req, client=client, idem=idem))


def _create_crawl(
    jobs: JobService, body: CrawlJobIn, client: str | None, idem: Idempotency | None
) -> JobView:
    req: CrawlRequest = _validated(jobs, body, CRAWL_KEYS, validate_crawl)
    return _conflict_409(lambda: jobs.create_crawl(req, client=client, idem=idem))


def _conflict_409(create: Any) -> JobView:
    try:
        view: JobView = create()
    except InputError as exc:
        raise HTTPException(409, {exc.field: exc.message}) from None
    return view


def created(view: JobView) -> JSONResponse:
    """201 with the job, its owner token and its ``Location``."""
    location = f"/api/v1/jobs/{view.id}"
    out = CreatedJobOut(**job_out(view).model_dump(), owner_token=view.owner_token)
    return JSONResponse(
        out.model_dump(mode="json"), status_code=201, headers={"Location": location}
    )


def _client(request: Request) -> str | None:
    return security.client_key(request)


def count_submission(request: Request) -> None:
    """One submission limit per client, shared with the web form (429 past it)."""
    limit = service(request).settings.submit_rate_per_minute
    security.submit_limiter(request, limit).check(security.client_key(request))


@router.post("/jobs/search", status_code=201, response_model=CreatedJobOut, responses=CREATE)
async def create_search(
    request: Request, body: Annotated[SearchJobIn, Body(openapi_examples=SEARCH_EXAMPLES)]
) -> JSONResponse:
    """Create a search job; 400 with a message per bad field, 429 past the submit limit."""
    idem = idempotency(request, "search", body)
    count_submission(request)
    jobs = service(request)
    view = await one_at_a_time(request, _create_search, jobs, body, _client(request), idem)
    return created(view)


@router.post("/jobs/crawl", status_code=201, response_model=CreatedJobOut, responses=CREATE)
async def create_crawl(
    request: Request, body: Annotated[CrawlJobIn, Body(openapi_examples=CRAWL_EXAMPLES)]
) -> JSONResponse:
    """Create a crawl job (page URLs); 400 with a message per bad field, 429 past the limit."""
    idem = idempotency(request, "crawl", body)
    count_submission(request)
    jobs = service(request)
    view = await one_at_a_time(request, _create_crawl, jobs, body, _client(request), idem)
    return created(view)


@sources_router.get("/sources", responses=SOURCES)
async def list_sources(
    request: Request, check: str | None = Query(None, max_length=200, description="A query")
) -> dict[str, Any]:
    """Every source: available or why not, base URL; with ``check``, one page from each
    (an empty ``check`` is no check)."""
    from imgharvest.service.source_health import report

    return await report(service(request).settings, check.strip() if check else None)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=READ)
def get_job(request: Request, job_id: str) -> JobOut:
    """A job's status, progress counts, download URL and expiry, and its events."""
    view = service(request).get(job_id, with_images=False) if len(job_id) <= 64 else None
    if view is None:
        raise not_found(job_id)
    return job_out(view)


@router.get("/jobs/{job_id}/images", response_model=list[ImageOut], responses=READ)
def job_images(request: Request, job_id: str) -> list[dict[str, str | int]]:
    """The job's images with their manifest fields (found links for a crawl)."""
    rows = service(request).images(job_id) if len(job_id) <= 64 else None
    if rows is None:
        raise not_found(job_id)
    return rows


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, responses=CANCEL,
             dependencies=[Depends(require_owner)])  # fmt: skip
def cancel_job(request: Request, job_id: str) -> JobOut:
    """Cancel a scheduled or running job (the owner's token or My-jobs cookie); 409 if it
    already ended."""
    try:
        view = service(request).cancel(job_id) if len(job_id) <= 64 else None
    except InputError as exc:
        raise HTTPException(409, {exc.field: exc.message}) from None
    if view is None:
        raise not_found(job_id)
    return job_out(view)


@router.post("/jobs/{job_id}/retry", status_code=201, response_model=CreatedJobOut,
             responses=RETRY, dependencies=[Depends(require_owner)])  # fmt: skip
def retry_job(request: Request, job_id: str) -> JSONResponse:
    """A new job with the same request, run now (the owner's token or My-jobs cookie); the
    answer holds the new job's owner token; 409 while the job is still active."""
    count_submission(request)
    try:
        view = service(request).retry(job_id) if len(job_id) <= 64 else None
    except InputError as exc:
        raise HTTPException(409, {exc.field: exc.message}) from None
    if view is None:
        raise not_found(job_id)
    return created(view)
