"""Who may manage a job (cancel, retry): the browser whose My-jobs cookie lists it, or a client
holding the job's owner token (``Authorization: Bearer``). A job id alone only lets you view.

Unknown job: 404. No credential: 401. A credential that is not this job's: 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from imgharvest.service.jobs import JobService
from imgharvest.web import history, myjobs

bearer = HTTPBearer(
    auto_error=False, scheme_name="ownerToken",
    description="The `owner_token` of the answer that created the job.",
)  # fmt: skip
cookie = APIKeyCookie(
    name=history.COOKIE, auto_error=False, scheme_name="myJobsCookie",
    description="The browser's My-jobs cookie (set when the web form made the job).",
)  # fmt: skip


def _jobs(request: Request) -> JobService:
    jobs: JobService = request.app.state.services.jobs
    return jobs


def _unknown(job_id: str) -> HTTPException:
    return HTTPException(404, {"id": f"no job with id {job_id[:64]!r}"})


def require_owner(
    request: Request,
    job_id: str,
    token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    _cookie: Annotated[str | None, Security(cookie)],
) -> None:
    """Pass when the request may manage ``job_id``, else raise 404, 401 or 403."""
    if len(job_id) > 64:
        raise _unknown(job_id)
    if job_id in myjobs.mine(request):
        return
    presented = token.credentials.encode("latin-1", "replace") if token else b""
    owned = _jobs(request).is_owner(job_id, presented)
    if owned is None:
        raise _unknown(job_id)
    if token is None:
        message = "send the job's owner token as `Authorization: Bearer <owner_token>`"
        raise HTTPException(401, {"authorization": message}, {"WWW-Authenticate": "Bearer"})
    if not owned:
        raise HTTPException(403, {"authorization": "this is not the job's owner token"})
