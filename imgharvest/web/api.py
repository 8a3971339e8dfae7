"""The REST API ``/api/v1``: create search and crawl jobs, read them, list images, cancel, retry."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from imgharvest.errors import InputError
from imgharvest.jobs import JobService, JobView
from imgharvest.schemas import (
    CrawlRequest,
    SearchRequest,
    ValidationFailed,
    validate_crawl,
    validate_search,
)
from imgharvest.web import security

router = APIRouter(prefix="/api/v1", tags=["jobs"])

# API names -> the validator's (form) names; errors are reported under the API names.
SEARCH_KEYS = {"query": "search-query", "count": "images", "min_width": "min-width",
               "min_height": "min-height", "max_side": "max-side"}  # fmt: skip
CRAWL_KEYS = {"count": "images"}


class SearchJobIn(BaseModel):
    """A search job: N images of a query, now or at ``run_at``."""

    model_config = ConfigDict(extra="ignore")

    query: str | None = Field(None, examples=["red fox"])
    count: int | str | None = Field(None, examples=[50], description="1 to MAX_IMAGES")
    email: str | None = Field(None, examples=["me@example.org"])
    run_at: str | None = Field(None, description="ISO 8601; without an offset, in TIMEZONE; "
                               "omitted: now")  # fmt: skip
    sources: list[str] | str | None = Field(None, examples=[["bing", "duckduckgo"]])
    min_width: int | str | None = None
    min_height: int | str | None = None
    format: str | None = Field(None, description="zip (default), imagefolder, webdataset or "
                               "parquet, delivered as one zip")  # fmt: skip
    max_side: int | str | None = Field(None, description="shrink to fit this many pixels")
    licence: str | None = Field(None, description="any (default), open or commercial")


class CrawlJobIn(BaseModel):
    """A crawl job: every image link on the given pages, optionally downloaded."""

    model_config = ConfigDict(extra="ignore")

    urls: list[str] | str | None = Field(None, examples=[["https://example.org/gallery"]])
    email: str | None = None
    run_at: str | None = None
    depth: int | str | None = 0
    download: bool | None = False
    count: int | str | None = None
    render: bool | None = Field(False, description="Load each page in Chromium first")


class EventOut(BaseModel):
    at: datetime
    level: str
    message: str


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
    events: list[EventOut]


class ErrorsOut(BaseModel):
    errors: dict[str, str]


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorsOut},
    404: {"model": ErrorsOut},
    409: {"model": ErrorsOut},
}


def service(request: Request) -> JobService:
    """The app's job service."""
    jobs: JobService = request.app.state.services.jobs
    return jobs


def job_out(view: JobView) -> JobOut:
    """The API shape of a job."""
    fields = {name: getattr(view, name) for name in JobOut.model_fields if name != "events"}
    events = [EventOut(at=e.at, level=e.level, message=e.message) for e in view.events]
    return JobOut(**fields, events=events)


def not_found(job_id: str) -> HTTPException:
    """404 for an unknown job id (rendered as ``{"errors": {"id": …}}``)."""
    return HTTPException(404, {"id": f"no job with id {job_id[:64]!r}"})


def form_data(body: BaseModel, keys: dict[str, str], jobs: JobService) -> dict[str, Any]:
    """The validator's fields from an API body (``run_at`` split into date, time and zone)."""
    data = {keys.get(k, k): v for k, v in body.model_dump().items() if v is not None}
    run_at = data.pop("run_at", None)
    at = _parse_run_at(run_at, jobs.settings.timezone) if run_at else jobs.clock.now()
    data.update(date=at.date().isoformat(), time=at.time().isoformat("seconds"), tz=at.tzname())
    return data


def _parse_run_at(text: str, zone: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed({"run_at": "run_at is not an ISO 8601 date-time"}) from None
    at = at if at.tzinfo else at.replace(tzinfo=ZoneInfo(zone))
    return at.astimezone(UTC)


def renamed(exc: ValidationFailed, keys: dict[str, str]) -> ValidationFailed:
    """Validator errors under the API's field names (``date``/``time`` become ``run_at``)."""
    back = {v: k for k, v in keys.items()} | {"date": "run_at", "time": "run_at", "tz": "run_at"}
    errors: dict[str, str] = {}
    for field, message in exc.errors.items():
        errors.setdefault(back.get(field, field), message)
    return ValidationFailed(errors)


def _validated(jobs: JobService, body: BaseModel, keys: dict[str, str], validate: Any) -> Any:
    try:
        return validate(form_data(body, keys, jobs), jobs.settings, jobs.clock.now())
    except ValidationFailed as exc:
        raise renamed(exc, keys) from None


def _create_search(jobs: JobService, body: SearchJobIn, client: str | None) -> JobView:
    # Programs may omit the address: the job page and the API show the result.
    validate = functools.partial(validate_search, email_required=False)
    req: SearchRequest = _validated(jobs, body, SEARCH_KEYS, validate)
    return jobs.create_search(req, client=client)


def _create_crawl(jobs: JobService, body: CrawlJobIn, client: str | None) -> JobView:
    req: CrawlRequest = _validated(jobs, body, CRAWL_KEYS, validate_crawl)
    return jobs.create_crawl(req, client=client)


def created(view: JobView) -> JSONResponse:
    """201 with the job and its ``Location``."""
    location = f"/api/v1/jobs/{view.id}"
    body = job_out(view).model_dump(mode="json")
    return JSONResponse(body, status_code=201, headers={"Location": location})


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def count_submission(request: Request) -> None:
    """One submission limit per client, shared with the web form (429 past it)."""
    limit = service(request).settings.submit_rate_per_minute
    security.submit_limiter(request, limit).check(security.client_key(request))


@router.post("/jobs/search", status_code=201, response_model=JobOut, responses=ERRORS)
async def create_search(request: Request, body: SearchJobIn) -> JSONResponse:
    """Create a search job; 400 with a message per bad field, 429 past the submit limit."""
    count_submission(request)
    jobs = service(request)
    view = await run_in_threadpool(_create_search, jobs, body, _client(request))
    return created(view)


@router.post("/jobs/crawl", status_code=201, response_model=JobOut, responses=ERRORS)
async def create_crawl(request: Request, body: CrawlJobIn) -> JSONResponse:
    """Create a crawl job (page URLs); 400 with a message per bad field, 429 past the limit."""
    count_submission(request)
    jobs = service(request)
    view = await run_in_threadpool(_create_crawl, jobs, body, _client(request))
    return created(view)


@router.get("/sources", tags=["sources"], responses=ERRORS)
async def list_sources(
    request: Request, check: str | None = Query(None, max_length=200, description="A query")
) -> dict[str, Any]:
    """Every source: available or why not, base URL; with ``check``, one page from each."""
    from imgharvest.source_health import report

    query = check.strip() if check else None
    if check is not None and not query:
        raise HTTPException(400, {"check": "give a query to check the sources with"})
    return await report(service(request).settings, query)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=ERRORS)
def get_job(request: Request, job_id: str) -> JobOut:
    """A job's status, progress counts, download URL and expiry, and its events."""
    view = service(request).get(job_id, with_images=False) if len(job_id) <= 64 else None
    if view is None:
        raise not_found(job_id)
    return job_out(view)


@router.get("/jobs/{job_id}/images", responses=ERRORS)
def job_images(request: Request, job_id: str) -> list[dict[str, str | int]]:
    """The job's images with their manifest fields (found links for a crawl)."""
    rows = service(request).images(job_id) if len(job_id) <= 64 else None
    if rows is None:
        raise not_found(job_id)
    return rows


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, responses=ERRORS)
def cancel_job(request: Request, job_id: str) -> JobOut:
    """Cancel a scheduled or running job; 409 if it already ended."""
    try:
        view = service(request).cancel(job_id) if len(job_id) <= 64 else None
    except InputError as exc:
        raise HTTPException(409, {exc.field: exc.message}) from None
    if view is None:
        raise not_found(job_id)
    return job_out(view)


@router.post("/jobs/{job_id}/retry", status_code=201, response_model=JobOut, responses=ERRORS)
def retry_job(request: Request, job_id: str) -> JSONResponse:
    """A new job with the same request, run now; 409 while the job is still active."""
    count_submission(request)
    try:
        view = service(request).retry(job_id) if len(job_id) <= 64 else None
    except InputError as exc:
        raise HTTPException(409, {exc.field: exc.message}) from None
    if view is None:
        raise not_found(job_id)
    return created(view)
