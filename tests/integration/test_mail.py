"""Job emails: rendering (UTF-8, escaping, safe subject), SMTP and .eml delivery, the outbox."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imgharvest.clock import ManualClock
from imgharvest.errors import ConfigError
from imgharvest.service.mail import OutboxMailer, SmtpMailer, make_mailer, render
from imgharvest.service.mailsend import MAIL_RETRY_MAX, mail_delay
from imgharvest.service.schemas import SearchRequest
from imgharvest.service.services import Services, build_services
from tests.conftest import SmtpSink

NASTY = "café <b>bold</b>\r\nBcc: victim@example.org"


@pytest.fixture
def svc(make_settings: Any) -> Iterator[Services]:
    services = build_services(make_settings(), clock=ManualClock())
    yield services
    services.close()


def create(svc: Services, query: str = NASTY) -> str:
    req = SearchRequest(query, svc.clock.now(), "ünï@example.org", 5)
    return svc.jobs.create_search(req).id


def test_subject_is_one_safe_line_and_bodies_escape_user_text(svc: Services) -> None:
    view = svc.jobs.get(create(svc))
    assert view is not None
    message = render("started", view, "to@example.org", svc.settings)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.SMTP)
    assert "Bcc" not in parsed and "\n" not in str(parsed["Subject"])
    assert "café <b>bold</b> Bcc: victim@example.org" in str(parsed["Subject"])
    html = parsed.get_body(("html",)).get_content()
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "café <b>bold</b>" in parsed.get_body(("plain",)).get_content()


def test_failed_mail_names_the_reason_and_links_the_resubmit_form(svc: Services) -> None:
    job_id = create(svc, "red fox")
    claim = svc.jobs.claim(job_id)
    assert claim is not None and svc.jobs.fail(claim, "every source failed: bing: 403")
    view = svc.jobs.get(job_id)
    assert view is not None and view.resubmit_url
    text = render("failed", view, "to@example.org", svc.settings).get_body(("plain",))
    assert text is not None
    assert "every source failed: bing: 403" in text.get_content()
    assert view.resubmit_url in text.get_content()


def test_without_smtp_url_messages_become_eml_files(svc: Services) -> None:
    mailer = make_mailer(svc.settings)
    assert isinstance(mailer, OutboxMailer)
    view = svc.jobs.get(create(svc))
    assert view is not None
    mailer.send(render("started", view, "to@example.org", svc.settings))
    files = list((svc.settings.data_dir / "outbox").glob("*.eml"))
    assert len(files) == 1
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.SMTP)
    assert parsed["To"] == "to@example.org"


def test_smtp_delivery_to_a_real_server(svc: Services, smtp_sink: SmtpSink) -> None:
    mailer = SmtpMailer.from_url(f"smtp://127.0.0.1:{smtp_sink.port}")
    view = svc.jobs.get(create(svc))
    assert view is not None
    mailer.send(render("started", view, "to@example.org", svc.settings))
    assert len(smtp_sink.messages) == 1 and "café" in str(smtp_sink.messages[0]["Subject"])


def test_smtp_urls() -> None:
    tls = SmtpMailer.from_url("smtp+starttls://me%40x.org:p%3Ass@mail.example.org:587")
    assert (tls.scheme, tls.host, tls.port, tls.user, tls.password) == (
        "smtp+starttls", "mail.example.org", 587, "me@x.org", "p:ss",
    )  # fmt: skip
    assert SmtpMailer.from_url("smtps://mail.example.org").port == 465
    with pytest.raises(Exception, match="SMTP_URL"):
        SmtpMailer.from_url("http://mail.example.org")
    for bad in ("smtp://[mail", "smtp://mail.example.org:port", "smtp://mail.example.org:99999"):
        with pytest.raises(ConfigError, match=r"SMTP_URL .* port 1-65535"):
            SmtpMailer.from_url(bad)


def test_outbox_keeps_one_message_per_job_and_kind(svc: Services) -> None:
    job_id = create(svc)
    first = svc.outbox.queue(job_id, "started")
    assert first is not None
    assert svc.outbox.queue(job_id, "started") is None
    assert svc.outbox.queue(job_id, "finished") is not None
    pending = svc.outbox.claim(first)
    assert pending is not None and pending.to == "ünï@example.org"
    assert svc.outbox.claim(first) is None  # taken by the first sender
    svc.outbox.sent(first)
    assert svc.outbox.sent_count(job_id, "started") == 1
    assert first not in svc.outbox.unsent()


def test_send_task_retries_later_when_the_server_is_down(
    svc: Services, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    smtp_sink.stop()
    svc.mailer = SmtpMailer.from_url(f"smtp://127.0.0.1:{smtp_sink.port}")
    job_id = create(svc)
    email_id = svc.outbox.queue(job_id, "started")
    assert email_id is not None
    svc.tasks._send_email(email_id)
    assert svc.outbox.sent_count(job_id, "started") == 0
    assert email_id not in svc.outbox.unsent()  # not before its backoff time
    svc.clock.advance(mail_delay(1))  # type: ignore[attr-defined]
    assert email_id in svc.outbox.unsent()  # the sweep hands it to the mail threads now
    smtp_sink.start()
    svc.tasks._send_email(email_id)
    assert svc.outbox.sent_count(job_id, "started") == 1 and len(smtp_sink.messages) == 1


def test_mail_backoff_doubles_and_is_capped() -> None:
    delays = [mail_delay(n) for n in range(1, 12)]
    assert delays[:3] == [2.0, 4.0, 8.0]
    assert max(delays) == MAIL_RETRY_MAX and delays == sorted(delays)
