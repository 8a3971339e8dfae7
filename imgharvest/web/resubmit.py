"""``GET /resubmit/<token>``: a re-submit link turned back into its pre-filled form."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from imgharvest.service.resubmit import form_values, read_token
from imgharvest.web.pages import form_page
from imgharvest.web.render import error_page, jobs_of

router = APIRouter(include_in_schema=False)


@router.get("/resubmit/{token}", response_class=HTMLResponse)
def resubmit(request: Request, token: str) -> HTMLResponse:
    """The form of the original request, filled in (the address is typed again)."""
    jobs = jobs_of(request)
    found = read_token(jobs.settings.secret(), token) if len(token) <= 4096 else None
    if found is None:
        message = "This re-submit link is not valid. Check that it was copied completely."
        return error_page(request, 404, "Link not valid", message)
    values = found.values
    if values is None:
        view = jobs.get(found.job_id, with_images=False)
        if view is None:
            message = "This request is no longer kept. Please fill in the form again."
            return error_page(request, 410, "Request no longer kept", message)
        values = form_values(found.kind, view.request)
    page = "crawl.html" if found.kind == "crawl" else "search.html"
    return form_page(request, page, values, {}, 200)
