"""What the job page shows: a ``JobView`` turned into plain, display-ready values."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from imgharvest.jobs import EventView, JobView, in_archive

GALLERY_MAX = 120
LINKS_MAX = 500
THUMB_WIDTH = 240

STATUS_CLASS = {
    "scheduled": "secondary", "running": "primary", "done": "success", "short": "warning",
    "failed": "danger", "cancelled": "dark", "expired": "secondary",
}  # fmt: skip
STATUS_LABEL = {"short": "done (fewer than asked)"}
LEVEL_CLASS = {"info": "light", "warning": "warning", "error": "danger"}
REASON_LABEL = {
    "http_error": "HTTP errors", "timeout": "timed out", "connection": "connection failed",
    "too_large": "too large", "too_many_redirects": "too many redirects",
    "blocked_address": "blocked address", "not_image": "not an image", "truncated": "truncated",
    "too_many_pixels": "too many pixels", "too_small": "too small",
    "format_filtered": "format filtered out", "duplicate_exact": "exact duplicates",
    "duplicate_near": "near duplicates", "robots_disallowed": "disallowed by robots.txt",
}  # fmt: skip


def zone_of(view: JobView) -> ZoneInfo:
    """The requester's time zone (kept with the request), UTC if unknown."""
    try:
        return ZoneInfo(str(view.request.get("tz") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def time_text(at: datetime | None, zone: ZoneInfo, time_only: bool = False) -> str:
    """A readable time in ``zone`` (the browser rewrites it in its own zone)."""
    if at is None:
        return ""
    local = at.astimezone(zone)
    return local.strftime("%H:%M:%S") if time_only else local.strftime(f"%Y-%m-%d %H:%M {zone.key}")


def iso(at: datetime | None) -> str:
    """An ISO 8601 timestamp for ``<time datetime>``."""
    return at.isoformat() if at is not None else ""


def title_of(view: JobView) -> str:
    """The page's headline: the query, or which pages a crawl reads."""
    if view.kind == "crawl":
        return f"Images on {view.query}"
    return f"{view.wanted} images of “{view.query}”"


def rejected_rows(rejected: dict[str, int]) -> list[tuple[str, int]]:
    """Rejection counts by reason, biggest first, with readable labels."""
    rows = sorted(rejected.items(), key=lambda item: (-item[1], item[0]))
    return [(REASON_LABEL.get(reason, reason.replace("_", " ")), n) for reason, n in rows if n]


def event_row(ev: EventView, zone: ZoneInfo) -> dict[str, str]:
    """One event-log line, ready to show."""
    level_class = LEVEL_CLASS.get(ev.level, "light")
    at_text = time_text(ev.at, zone, time_only=True)
    return {"at": iso(ev.at), "at_text": at_text, "level": ev.level,
            "level_class": level_class, "message": ev.message}  # fmt: skip


def thumbs(view: JobView) -> list[dict[str, Any]]:
    """Gallery tiles of kept images (files in the archive), at most ``GALLERY_MAX``."""
    tiles = []
    for position, row in enumerate(view.images[:GALLERY_MAX]):
        if not in_archive(str(row.get("file") or "")):
            continue  # a found link, or a sample inside a shard: no thumbnail
        width, height = int(row.get("width") or 1), int(row.get("height") or 1)
        tiles.append({
            **row, "thumb": f"/jobs/{view.id}/thumbs/{position}", "w": THUMB_WIDTH,
            "h": max(1, round(THUMB_WIDTH * height / max(1, width))),
        })  # fmt: skip
    return tiles


def found_links(view: JobView) -> list[dict[str, str | int]]:
    """Image links a crawl found without downloading them."""
    return [row for row in view.images if not row.get("file")]


def context(view: JobView) -> dict[str, Any]:
    """Everything ``job.html`` and ``_job_live.html`` render."""
    zone = zone_of(view)
    links = found_links(view)
    tiles = thumbs(view) if view.download_url else []
    return {
        "id": view.id, "kind": view.kind, "kind_label": view.kind.capitalize(),
        "status": view.status, "status_label": STATUS_LABEL.get(view.status, view.status),
        "status_class": STATUS_CLASS.get(view.status, "secondary"), "active": view.active,
        "title": title_of(view), "wanted": view.wanted, "tried": view.tried, "kept": view.kept,
        "percent": round(view.progress * 100), "rejected": rejected_rows(view.rejected),
        "pages_total": view.pages_total, "pages_done": view.pages_done,
        "run_at": iso(view.run_at), "run_at_text": time_text(view.run_at, zone),
        "finished_at": iso(view.finished_at), "finished_at_text": time_text(view.finished_at, zone),
        "expires_at": iso(view.expires_at), "expires_at_text": time_text(view.expires_at, zone),
        "summary": view.summary, "error": view.error, "has_email": view.has_email,
        "download_url": view.download_url, "resubmit_url": view.resubmit_url,
        "events": [event_row(ev, zone) for ev in view.events],
        "thumbs": tiles, "thumbs_total": view.kept,
        "thumbs_more": len(tiles) < view.kept, "found_links": links[:LINKS_MAX],
        "found_total": len(links), "found_more": len(links) > LINKS_MAX,
    }  # fmt: skip
