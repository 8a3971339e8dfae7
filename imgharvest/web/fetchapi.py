"""``POST /api/v1/jobs/fetch``: a URL-list job from an uploaded list (multipart field ``file``:
text, CSV or parquet) run in shards across the fleet; ``GET /api/v1/jobs/{id}/files``: the
files such a job delivers."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from imgharvest.errors import InputError
from imgharvest.service.fetchschema import FIELDS, validate_fetch
from imgharvest.service.fetchsubmit import FetchRequest
from imgharvest.service.jobs import JobService
from imgharvest.service.schemas import ValidationFailed
from imgharvest.service.submissions import Idempotency
from imgharvest.service.views import JobView
from imgharvest.web import security
from imgharvest.web.api import CREATE, READ, JobOut, count_submission, created, not_found, service
from imgharvest.web.idempotency import HEADER, header_key, upload_once

router = APIRouter(prefix="/api/v1", tags=["jobs"])

UPLOAD = {
    "requestBody": {"content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {
            "file": {"type": "string", "format": "binary", "description":
                     "the list: text (one URL a line), CSV or parquet with a url column, "
                     "optional caption and other columns (kept in the records)"},
            "format": {"type": "string", "enum": ["zip", "webdataset", "parquet"]},
            "shard_size": {"type": "integer", "minimum": 1, "default": 1000},
            **{name: {"type": "string"} for name in FIELDS if name not in ("format",
                                                                            "shard_size")},
        },
    }}}},
}  # fmt: skip


@router.post("/jobs/fetch", status_code=201, response_model=JobOut, responses=CREATE,
             openapi_extra=UPLOAD)  # fmt: skip
async def create_fetch(request: Request) -> JSONResponse:
    """Create a URL-list job; 400 naming each bad field (``file`` for the list itself)."""
    key = header_key(request)
    count_submission(request)
    jobs = service(request)
    async with request.form(max_files=1, max_fields=len(FIELDS)) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed({"file": "a URL list is required (multipart field file)"})
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        name = upload.filename or "list"
        req = validate_fetch(fields, name, jobs.clock.now())
        path, digest = await run_in_threadpool(_saved, upload.file, jobs.settings.data_dir)
    idem = None if key is None else upload_once(key, fields, name, digest)
    try:
        view = await run_in_threadpool(_create, jobs, req, path, security.client_key(request), idem)
    finally:
        path.unlink(missing_ok=True)
    return created(view)


def _saved(upload: BinaryIO, data_dir: Path) -> tuple[Path, str]:
    """The upload copied to a file of its own (the list is read from a path), and the SHA-256
    of its bytes."""
    folder = data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path, digest = folder / f"{secrets.token_hex(8)}.list", hashlib.sha256()
    with path.open("wb") as out:
        while chunk := upload.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    return path, digest.hexdigest()


def _create(
    jobs: JobService, req: FetchRequest, path: Path, client: str | None, idem: Idempotency | None
) -> JobView:
    try:
        return jobs.create_fetch(req, path, client=client, idem=idem)
    except InputError as exc:
        if exc.field == HEADER:  # the key was used for another request: as the other routes
            raise HTTPException(409, {exc.field: exc.message}) from None
        raise ValidationFailed({exc.field: exc.message}) from None


@router.get("/jobs/{job_id}/files", responses=READ)
def job_files(request: Request, job_id: str) -> list[dict[str, Any]]:
    """The files a URL-list job delivers in several files (shards, manifest, dataset.json),
    each with its download link; empty until the job is done."""
    jobs = service(request)
    view = jobs.get(job_id, with_images=False) if len(job_id) <= 64 else None
    if view is None:
        raise not_found(job_id)
    if not view.download_url:
        return []
    return [{"name": f.name, "bytes": f.bytes, "url": f"{view.download_url}/{f.name}"}
            for f in jobs.files(job_id)]  # fmt: skip
