"""Reading a submitted form's text fields, an urlencoded one decoded off the event loop: its
decoding costs about half a second for a hostile megabyte (1 MiB of ``%``)."""

from __future__ import annotations

from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.requests import Request

from imgharvest.service.schemas import ValidationFailed
from imgharvest.web.limits import PARSE_ON_LOOP

URLENCODED = "application/x-www-form-urlencoded"
MAX_FIELDS = 1000  # as Starlette's own form parser


async def form_fields(request: Request) -> dict[str, str]:
    """The form's text fields (a repeated name: its last value), as ``request.form()`` gives
    them; more than ``MAX_FIELDS`` is a 400 naming the body."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != URLENCODED:
        async with request.form() as form:
            return {key: value for key, value in form.items() if isinstance(value, str)}
    body = await request.body()
    if len(body) <= PARSE_ON_LOOP:
        return decoded(body)
    return await anyio.to_thread.run_sync(decoded, body)


def decoded(body: bytes) -> dict[str, str]:
    """The fields of an urlencoded body (UTF-8, invalid bytes replaced)."""
    try:
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True,
                          max_num_fields=MAX_FIELDS)  # fmt: skip
    except ValueError:
        raise ValidationFailed({"body": f"the form has more than {MAX_FIELDS} fields"}) from None
    return dict(pairs)
