"""Logging of the service: stderr and an optional file, the job id on each line, emails and
URL query strings masked."""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

from imgharvest.redact import mask_credentials, mask_query_strings

EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
FORMAT = "%(asctime)s %(levelname)-7s %(name)s [job %(job_id)s] %(message)s"


def mask_emails(text: str) -> str:
    """``alice@example.org`` → ``a***@example.org``."""
    return EMAIL.sub(r"\1***@\2", text)


def masked(text: str) -> str:
    """``text`` without addresses, URL credentials and URL query strings."""
    return mask_query_strings(mask_credentials(mask_emails(text)))


class JobContext(logging.Filter):
    """Gives every record a ``job_id`` (``-`` when none); masks addresses, URL credentials and
    URL query strings, in the message and in the traceback of an exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "job_id"):
            record.job_id = "-"
        message = record.getMessage()
        if (text := masked(message)) != message:
            record.msg, record.args = text, None
        if record.exc_info and not record.exc_text:
            # Formatted here so that the handlers' formatters print the masked text.
            record.exc_text = masked(logging.Formatter().formatException(record.exc_info))
        return True


def setup_logging(level: int = logging.INFO, log_file: Path | None = None) -> None:
    """Send imgharvest, huey and uvicorn logs to stderr (and ``log_file``), one format."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(JobContext())
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("huey").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
