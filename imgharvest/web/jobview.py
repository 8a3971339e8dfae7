"""What the job page shows: a ``JobView`` turned into plain, display-ready values."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from imgharvest import licences
from imgharvest.service import reasons
from imgharvest.service.views import EventView, JobView, in_archive

GALLERY_PAGE = 100
LINKS_MAX = 500
THUMB_WIDTH = 240

STATUS_CLASS = {
    "scheduled": "secondary", "running": "primary", "done": "success", "short": "warning",
    "failed": "danger", "cancelled": "dark", "expired": "secondary",
}  # fmt: skip
STATUS_LABEL = {"short": "done (fewer than asked)"}
LEVEL_CLASS = {"info": "light", "warning": "warning", "error": "danger"}


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
    """The page's headline: the query, or which pages a crawl reads (an expired job has none)."""
    if not view.query:
        return f"Expired {view.kind} job"
    if view.kind == "crawl":
        return f"Images on {view.query}"
    if view.kind == "fetch":
        return f"A list of {view.query}"
    return f"{view.wanted} images of “{view.query}”"


def counts_text(view: JobView) -> str:
    """What a job got so far, in a few words."""
    if view.links_only:
        pages = reasons.count_of(view.pages_done, "page")
        return f"{reasons.count_of(view.kept, 'image link')} on {pages}"
    if view.wanted:
        return f"{view.kept} of {view.wanted} images"
    return reasons.count_of(view.kept, "image")


def pages_given_text(view: JobView) -> str:
    """What the pages read were: all given, or the given ones and the pages they link to."""
    given, linked = view.pages_total, view.pages_done - view.pages_total
    if linked <= 0:
        return f"of {reasons.count_of(given, 'page')} given"
    return f"({given} given, {reasons.count_of(linked, 'page')} they link to)"


def rejected_rows(rejected: dict[str, int]) -> list[tuple[str, int]]:
    """Rejection counts by reason, biggest first, in words."""
    return reasons.rows(rejected)


def size_text(n: int | None) -> str:
    """Bytes as people read them: ``812 KB``, ``14.2 MB``."""
    if not n:
        return ""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{n} bytes"


def event_row(ev: EventView, zone: ZoneInfo) -> dict[str, str]:
    """One event-log line, ready to show."""
    level_class = LEVEL_CLASS.get(ev.level, "light")
    at_text = time_text(ev.at, zone, time_only=True)
    return {"at": iso(ev.at), "at_text": at_text, "level": ev.level,
            "level_class": level_class, "message": ev.message}  # fmt: skip


def tile(view: JobView, position: int, row: dict[str, str | int]) -> dict[str, Any]:
    """One gallery tile: thumbnail, the harvested copy, and what it is."""
    width, height = int(row.get("width") or 1), int(row.get("height") or 1)
    return {
        **row, "thumb": f"/jobs/{view.id}/thumbs/{position}",
        "href": f"/jobs/{view.id}/images/{position}", "name": str(row["file"]).rsplit("/", 1)[-1],
        "w": THUMB_WIDTH, "h": max(1, round(THUMB_WIDTH * height / max(1, width))),
        "size": size_text(int(row.get("bytes") or 0)),
        "licence_text": licence_text(str(row.get("licence") or "")),
        "origin": str(row.get("page_url") or row.get("url") or ""),
        "title": str(row.get("title") or row.get("caption") or ""),
    }  # fmt: skip


def progress_bar(view: JobView) -> dict[str, Any]:
    """What the bar counts (as ``JobView.progress`` does): URLs tried, or images kept."""
    if view.kind == "fetch":
        return {"bar_done": view.tried, "bar_label": "URLs tried"}
    return {"bar_done": view.kept, "bar_label": "images kept"}


def window(page: int) -> tuple[int, int]:
    """The image rows gallery page ``page`` shows: from, how many."""
    return (max(1, page) - 1) * GALLERY_PAGE, GALLERY_PAGE


def last_page(total: int) -> int:
    """The gallery's last page for ``total`` images (1 when there are none)."""
    return max(1, -(-total // GALLERY_PAGE))


def has_tile(view: JobView, row: dict[str, Any]) -> bool:
    """Whether an image row shows as a tile (a file in the zip, or any file with packed
    thumbnails)."""
    file = str(row.get("file") or "")
    return in_archive(file) or (view.thumbs and bool(file))


def gallery(view: JobView, page: int) -> dict[str, Any]:
    """One page of tiles (``GALLERY_PAGE`` each) and the links to every page."""
    # found links (no file) have no tile, nor samples inside tar shards or parquet unless
    # their thumbnails were packed
    kept = [(i, row) for i, row in enumerate(view.images, view.images_first)
            if has_tile(view, row)]  # fmt: skip
    total = len(kept) if view.images_total is None else view.images_total
    pages = last_page(total)
    page = min(max(1, page), pages)
    start = (page - 1) * GALLERY_PAGE
    # a windowed view holds this page's rows only (a delivered job's rows all have tiles)
    shown = kept[start : start + GALLERY_PAGE] if view.images_total is None else kept
    return {
        "tiles": [tile(view, i, row) for i, row in shown], "page": page, "pages": pages,
        "total": total, "first": start + 1, "last": start + len(shown),
        "links": [(n, f"/jobs/{view.id}?page={n}#gallery-title") for n in range(1, pages + 1)],
    }  # fmt: skip


def licence_text(licence: str) -> str:
    """A tile's licence: its name, or "licence unknown" (blank or ``unknown``)."""
    return licence if licence and licence != "unknown" else "licence unknown"


def page_summary(view: JobView, shown: dict[str, Any] | None) -> str | None:
    """The summary, without its licence clause when the gallery shows the licences."""
    if view.summary and shown and shown["tiles"]:
        return licences.without_summary_line(view.summary)
    return view.summary


def all_licences(view: JobView) -> list[dict[str, Any]]:
    """One row per image of the whole job with its licence (a windowed view has them apart)."""
    return list(view.licence_rows) if view.images_total is not None else list(view.images)


def found_links(view: JobView) -> list[dict[str, str | int]]:
    """Image links a crawl found without downloading them."""
    return [row for row in view.images if not row.get("file")]


def context(view: JobView, page: int = 1) -> dict[str, Any]:
    """Everything ``job.html`` and ``_job_live.html`` render (``page``: of the gallery)."""
    zone = zone_of(view)
    links = found_links(view)
    shown = gallery(view, page) if view.download_url else None
    return {
        "id": view.id, "kind": view.kind, "kind_label": view.kind.capitalize(),
        "status": view.status, "status_label": STATUS_LABEL.get(view.status, view.status),
        "status_class": STATUS_CLASS.get(view.status, "secondary"), "active": view.active,
        "title": title_of(view), "wanted": view.wanted, "tried": view.tried, "kept": view.kept,
        "percent": round(view.progress * 100), **progress_bar(view),
        "rejected": rejected_rows(view.rejected),
        "pages_total": view.pages_total, "pages_done": view.pages_done,
        "pages_given": pages_given_text(view),
        "run_at": iso(view.run_at), "run_at_text": time_text(view.run_at, zone),
        "finished_at": iso(view.finished_at), "finished_at_text": time_text(view.finished_at, zone),
        "expires_at": iso(view.expires_at), "expires_at_text": time_text(view.expires_at, zone),
        "summary": page_summary(view, shown), "error": view.error, "has_email": view.has_email,
        "download_url": view.download_url, "resubmit_url": view.resubmit_url,
        "events": [event_row(ev, zone) for ev in view.events],
        "gallery": shown, "found_links": links[:LINKS_MAX],
        "found_total": len(links), "found_more": len(links) > LINKS_MAX,
        "links_only": view.links_only, "counts": counts_text(view),
        "pages_active": view.pages_active, "zip_size": size_text(view.archive_bytes),
        "licences": licences.sentence(all_licences(view)) if shown else "",
        "licence_warning": licences.warning_of(all_licences(view)) if shown else "",
        "links_csv": f"/jobs/{view.id}/links.csv", "links_json": f"/api/v1/jobs/{view.id}/images",
        "expired_note": view.summary if view.status == "expired" else None,
        "shards_total": view.shards_total, "shards_done": view.shards_done,
        "several_files": bool(view.shards_total) and view.request.get("format") != "zip",
    }  # fmt: skip
