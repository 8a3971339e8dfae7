"""The ``Idempotency-Key`` header of the create routes: a retried request gets the same job."""

from __future__ import annotations

import hashlib
import json

from fastapi import Request
from pydantic import BaseModel

from imgharvest.service.schemas import ValidationFailed
from imgharvest.service.submissions import Idempotency

HEADER = "Idempotency-Key"
MAX_KEY = 255


def idempotency(request: Request, kind: str, body: BaseModel) -> Idempotency | None:
    """The header's key with a digest of the request, or None without the header."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY or not key.isprintable() or not key.isascii():
        raise ValidationFailed({HEADER: f"1 to {MAX_KEY} printable ASCII characters"})
    canonical = json.dumps([kind, body.model_dump(mode="json")], sort_keys=True)
    return Idempotency(key, hashlib.sha256(canonical.encode()).hexdigest())
