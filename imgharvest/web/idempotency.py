"""Creating a job once: the ``Idempotency-Key`` header of the API's create routes, and the web
form's CSRF token, used once (a re-sent form lands on the job it made, across processes, since
the key is kept on the job in the database)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from imgharvest.service.schemas import ValidationFailed
from imgharvest.service.submissions import Idempotency

HEADER = "Idempotency-Key"
MAX_KEY = 255


def idempotency(request: Request, kind: str, body: BaseModel) -> Idempotency | None:
    """The header's key with a digest of the request, or None without the header."""
    key = header_key(request)
    if key is None:
        return None
    canonical = json.dumps([kind, body.model_dump(mode="json")], sort_keys=True)
    return Idempotency(key, hashlib.sha256(canonical.encode()).hexdigest())


def header_key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header, checked (400 naming it if malformed), or None."""
    key = request.headers.get(HEADER)
    if key is not None and not (0 < len(key) <= MAX_KEY and key.isprintable() and key.isascii()):
        raise ValidationFailed({HEADER: f"1 to {MAX_KEY} printable ASCII characters"})
    return key


def upload_once(key: str, fields: Mapping[str, str], name: str, file_digest: str) -> Idempotency:
    """The key of an upload: its form fields, the file's name and the SHA-256 of its bytes."""
    canonical = json.dumps(["fetch", sorted(fields.items()), name, file_digest])
    return Idempotency(key, hashlib.sha256(canonical.encode()).hexdigest())


def form_once(token: str, data: Mapping[str, Any]) -> Idempotency:
    """The key of a form submission: its (valid) CSRF token, with a digest of its fields."""
    fields = sorted((k, str(v)) for k, v in data.items() if k != "csrf_token")
    digest = hashlib.sha256(json.dumps(fields).encode()).hexdigest()
    return Idempotency("form:" + hashlib.sha256(token.encode()).hexdigest(), digest)
