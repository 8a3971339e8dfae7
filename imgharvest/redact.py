"""Masking secrets that ride inside URLs (``http://user:pass@host``) before they are shown or
logged."""

from __future__ import annotations

import re

USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@]+@")


def mask_credentials(text: str) -> str:
    """``http://user:pass@host/x`` → ``http://***@host/x`` (anywhere in ``text``)."""
    return USERINFO.sub(r"\1***@", text)
