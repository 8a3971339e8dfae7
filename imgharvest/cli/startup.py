"""What ``serve`` and ``worker`` say first: where the data, the archives and the mail go."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from imgharvest.settings import Settings


def without_secrets(url: str) -> str:
    """``url`` with any password replaced by ``***`` (these lines go to logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def where_lines(settings: Settings) -> list[str]:
    """One line each for the data folder, the database and queue, the archives, the mail."""
    data = settings.data_dir.resolve()
    if settings.smtp_url:
        mail = f"mail: sent through {without_secrets(settings.smtp_url)}"
    else:
        mail = f"mail: no SMTP_URL, so written as .eml files to {data / 'outbox'}"
    return [
        f"data: {data}",
        f"database: {without_secrets(settings.database_url)}; "
        f"queue: {without_secrets(settings.queue_url)}",
        f"archives: {without_secrets(settings.storage_url)}",
        mail,
    ]
