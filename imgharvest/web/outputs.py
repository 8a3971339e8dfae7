"""A URL-list job delivered in several files: the list of them behind its link, and each one
(``/d/<token>/<name>``) from the store."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from imgharvest.service.views import LinkTarget
from imgharvest.web.render import error_page, jobs_of, render

router = APIRouter(include_in_schema=False)

MEDIA = {".tar": "application/x-tar", ".parquet": "application/vnd.apache.parquet",
         ".csv": "text/csv; charset=utf-8", ".json": "application/json"}  # fmt: skip


def listing(request: Request, token: str, target: LinkTarget) -> HTMLResponse:
    """The files behind a link (a URL-list job's shards and their manifest)."""
    files = jobs_of(request).files(str(target.job_id))
    response = render(request, "files.html", files=files, base=f"/d/{token}",
                      job_id=target.job_id)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/d/{token}/{name}", response_model=None)
def download_file(request: Request, token: str, name: str) -> Response:
    """One of the files behind a link: redirected to the store, or sent from disk."""
    found = jobs_of(request).resolve_file(token, name) if len(token) <= 128 else None
    if found is not None and found.kind == "ok" and found.url is not None:
        return RedirectResponse(found.url, status_code=307, headers={"Cache-Control": "no-store"})
    if found is not None and found.kind == "ok" and found.path is not None:
        media = MEDIA.get(found.path.suffix, "application/octet-stream")
        return FileResponse(found.path, media_type=media, filename=name)
    if found is not None and found.kind == "expired":
        message = "The files were deleted when the link expired."
        return error_page(request, 410, "This link has expired", message)
    return error_page(request, 404, "File not found", "This link has no such file.")
