"""Form fields as Starlette's own parser gives them, decoded in a thread past a small size."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from starlette.requests import Request

from imgharvest.service.schemas import ValidationFailed
from imgharvest.web import forms
from imgharvest.web.forms import MAX_FIELDS, URLENCODED, decoded, form_fields
from imgharvest.web.limits import PARSE_ON_LOOP

BODIES = [
    b"a=1&b=two+words&c=%C3%A9t%C3%A9",
    b"a=1&a=2&empty=&bare",
    b"q=100%+cotton&r=%zz&s=%E9",  # a lone %, a bad escape, a byte that is not UTF-8
    b"urls=https%3A%2F%2Fexample.org%2F%3Fa%3D1%26b%3D2%0D%0Ahttps%3A%2F%2Fexample.org%2Fb",
]


def request(body: bytes, kind: str = URLENCODED) -> Request:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        chunk, sent = (b"" if sent else body), True
        return {"type": "http.request", "body": chunk, "more_body": False}

    scope = {"type": "http", "method": "POST", "path": "/jobs", "query_string": b"",
             "headers": [(b"content-type", kind.encode())]}  # fmt: skip
    return Request(scope, receive)


async def starlette_fields(body: bytes) -> dict[str, str]:
    async with request(body).form() as form:
        return {k: v for k, v in form.items() if isinstance(v, str)}


@pytest.mark.parametrize("body", BODIES)
def test_the_fields_are_those_starlette_decodes(body: bytes) -> None:
    assert decoded(body) == asyncio.run(starlette_fields(body))


def test_too_many_fields_is_a_400_naming_the_body() -> None:
    with pytest.raises(ValidationFailed) as caught:
        decoded(b"&".join([b"a=1"] * (MAX_FIELDS + 1)))
    assert caught.value.errors == {"body": f"the form has more than {MAX_FIELDS} fields"}


def test_a_large_form_is_decoded_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []

    def spy(body: bytes) -> dict[str, str]:
        threads.append(threading.get_ident())
        return {}

    monkeypatch.setattr(forms, "decoded", spy)

    async def both() -> int:
        await form_fields(request(b"a=1"))
        await form_fields(request(b"a=" + b"%" * PARSE_ON_LOOP))
        return threading.get_ident()

    loop_thread = asyncio.run(both())
    assert threads[0] == loop_thread and threads[1] != loop_thread


def test_a_multipart_form_still_goes_to_starlette() -> None:
    body = b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nmulti\r\n--x--\r\n'
    got = asyncio.run(form_fields(request(body, "multipart/form-data; boundary=x")))
    assert got == {"a": "multi"}


@pytest.mark.parametrize(
    "body", [b"a=" + b"%" * 2**20, b"a=" + b"%41" * (2**20 // 3), b"&" * 999 + b"=" * 2**20],
    ids=["lone percents", "escapes", "separators"],
)  # fmt: skip
def test_the_most_hostile_megabyte_of_a_form_decodes_in_linear_time(body: bytes) -> None:
    started = time.perf_counter()
    decoded(body)
    # About 0.4 s here for the percents (in a thread, see above); linear, never quadratic.
    assert time.perf_counter() - started < 3.0
