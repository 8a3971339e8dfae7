"""Re-submit links: a signed token that carries a job's request, never its address.

A token is ``<payload>.<mac>``: the payload is the request's form values
(compressed JSON, base64url), the mac an HMAC-SHA256 with a key derived from
``SECRET_KEY``. The server turns a valid token back into a pre-filled form; a
token too long for a link carries only the job id and the server reads the
request from the job. Credentials inside page URLs are masked before they
enter a token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import zlib
from dataclasses import dataclass
from typing import Any

from imgharvest.redact import mask_credentials

MAX_TOKEN = 1800
MAX_PAYLOAD = 64 * 1024
MAC_BYTES = 16
SEARCH_KEYS = {"query": "search-query", "count": "images", "tz": "tz",
               "min_width": "min-width", "min_height": "min-height", "format": "format",
               "max_side": "max-side", "licence": "licence"}  # fmt: skip
CRAWL_KEYS = {"depth": "depth", "count": "images", "tz": "tz"}
SWITCHES = ("download", "render")  # crawl-form check boxes


@dataclass(frozen=True, slots=True)
class Resubmit:
    """What a token stands for: the form kind, the job it came from and its form values."""

    kind: str
    job_id: str
    values: dict[str, str] | None


def form_values(kind: str, request: dict[str, Any]) -> dict[str, str]:
    """A job's stored request as the fields of its form (no address: it is not in a request)."""
    keys = CRAWL_KEYS if kind == "crawl" else SEARCH_KEYS
    values = {field: str(request[key]) for key, field in keys.items() if request.get(key)}
    if kind == "crawl":
        values["urls"] = "\n".join(mask_credentials(str(u)) for u in request.get("urls", []))
        values |= {name: "on" for name in SWITCHES if request.get(name)}
    elif request.get("sources"):
        values["sources"] = ",".join(str(s) for s in request["sources"])
    return values


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"imgharvest resubmit\x00" + secret.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: dict[str, Any]) -> str:
    body = _b64(zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 9))
    mac = hmac.new(_key(secret), body.encode(), hashlib.sha256).digest()[:MAC_BYTES]
    return f"{body}.{_b64(mac)}"


def make_token(secret: str, kind: str, job_id: str, request: dict[str, Any]) -> str:
    """A token for re-submitting ``request`` (by value, or by job id when too long)."""
    token = _sign(secret, {"k": kind, "j": job_id, "v": form_values(kind, request)})
    return token if len(token) <= MAX_TOKEN else _sign(secret, {"k": kind, "j": job_id})


def read_token(secret: str, token: str) -> Resubmit | None:
    """The request behind a genuine token, or None (forged, damaged or not ours)."""
    body, _, mac = token.partition(".")
    try:
        expected = hmac.new(_key(secret), body.encode(), hashlib.sha256).digest()[:MAC_BYTES]
        if not hmac.compare_digest(_unb64(mac), expected):
            return None
        inflater = zlib.decompressobj()
        payload = json.loads(inflater.decompress(_unb64(body), MAX_PAYLOAD))
    except (binascii.Error, ValueError, zlib.error, UnicodeError):
        return None
    return _parsed(payload)


def _parsed(payload: Any) -> Resubmit | None:
    if not isinstance(payload, dict) or payload.get("k") not in ("search", "crawl"):
        return None
    values = payload.get("v")
    if values is not None and not isinstance(values, dict):
        return None
    clean = {str(k): str(v) for k, v in values.items()} if values is not None else None
    return Resubmit(str(payload["k"]), str(payload.get("j", "")), clean)
