"""The service's log filter masks addresses, URL credentials and URL query strings, in messages
and in tracebacks alike."""

from __future__ import annotations

import io
import logging

from imgharvest.cli.logging_setup import FORMAT, JobContext


def logged(emit: str) -> str:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(JobContext())
    log = logging.getLogger(f"test.masking.{emit}")
    log.propagate = False
    log.addHandler(handler)
    try:
        page = "https://u:pw@h.test/g?visitor=carol#top"
        if emit == "message":
            log.warning("pages: %s skipped for dan@example.org", page)
        else:
            try:
                raise ValueError(f"cannot read {page} for dan@example.org")
            except ValueError:
                log.exception("page failed")
    finally:
        log.removeHandler(handler)
    return out.getvalue()


def test_a_message_keeps_no_query_string_credentials_or_address() -> None:
    line = logged("message")
    assert "pages: https://***@h.test/g?[…] skipped for d***@example.org" in line
    assert "carol" not in line and "pw" not in line and "dan@" not in line


def test_a_traceback_is_masked_too() -> None:
    text = logged("traceback")
    assert "ValueError: cannot read https://***@h.test/g?[…] for d***@example.org" in text
    assert "carol" not in text and "dan@" not in text
