"""The one exception tree of imgharvest.

Per-image trouble (a 404, a truncated file, a duplicate) is never an
exception: it is a record with a reason, counted in the job's result.
Only failures that end a source, a job or a request raise::

    ImgHarvestError
    ├── ConfigError          settings that cannot work (bad URL scheme, bad CIDR)
    ├── InputError           a request field is wrong; carries ``field``
    │   └── OutputError      the CLI's output path cannot be used (exists, not writable...)
    ├── FetchError           a page/API request failed after its retries (``cause``: dns,
    │   │                    refused, timeout or unreachable when the network said why)
    │   ├── GuardError       the network guard refused an address (SSRF)
    │   └── BrowserError     Chromium did not load or read a page in time, or failed
    ├── StoreUnavailable     the archive store (S3) cannot be reached or refused a write
    ├── SourceError          a source cannot go on; the job falls through to the next one
    │   ├── SourceBlocked    403/429/captcha page: the source refused us
    │   └── LayoutChanged    the answer no longer has the shape we parse
    └── JobError             a job as a whole cannot run or finish
        ├── JobCancelled     somebody cancelled the job while it ran
        └── NoNetwork        every source failed for one network cause (names do not resolve…)
"""

from __future__ import annotations


class ImgHarvestError(Exception):
    """Root of every error imgharvest raises on purpose."""


class ConfigError(ImgHarvestError):
    """Settings that cannot work."""


class InputError(ImgHarvestError):
    """A request field is invalid; ``field`` names it for the user."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class OutputError(InputError):
    """The output path cannot be used; the message gives the user's path and the reason."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__("output", f"{path}: {reason}")
        self.path = path


class FetchError(ImgHarvestError):
    """A request failed after its retries; ``reason`` is a short machine-friendly cause, and
    ``cause`` the network's reason when it gave one (``dns``, ``refused``, ``timeout``,
    ``unreachable``) for ``host``."""

    def __init__(self, url: str, reason: str, *, cause: str = "", host: str = "") -> None:
        super().__init__(f"{reason}: {url}")
        self.url = url
        self.reason = reason
        self.cause = cause
        self.host = host


class GuardError(FetchError):
    """The network guard refused to connect to an address."""


class BrowserError(FetchError):
    """Chromium did not load or read a page within its limit, or failed doing it; ``reason``
    is one line (no Playwright call log)."""


class StoreUnavailable(ImgHarvestError):
    """The archive store cannot be reached (or refused a write); waiting may mend it."""


class SourceError(ImgHarvestError):
    """A source cannot continue; the message says which source and why."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


class SourceBlocked(SourceError):
    """The source refused us (403, 429 without recovery, a captcha page)."""


class LayoutChanged(SourceError):
    """The source answered, but not in the shape the parser knows."""


class JobError(ImgHarvestError):
    """A job as a whole cannot run or finish."""


class JobCancelled(JobError):
    """The job was cancelled while it ran."""


class NoNetwork(JobError):
    """Every source failed for the same network cause; ``hosts`` are the ones tried."""

    def __init__(self, message: str, cause: str, hosts: list[str]) -> None:
        super().__init__(message)
        self.cause = cause
        self.hosts = hosts
