"""Wikimedia Commons: MediaWiki search + imageinfo, licence and creator from ``extmetadata``."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from imgharvest.errors import LayoutChanged, SourceError
from imgharvest.sources.base import Candidate, register
from imgharvest.sources.common import PagedSource, http_url, strip_html, to_int

# imageinfo scales at most 50 files per request.
PAGE_SIZE = 50
_FIXED: dict[str, str | int] = {
    "action": "query",
    "format": "json",
    "formatversion": 2,
    "generator": "search",
    "gsrnamespace": 6,
    "gsrlimit": PAGE_SIZE,
    "prop": "imageinfo",
    "iiprop": "url|size|mime|extmetadata",
    "iiextmetadatafilter": "Artist|LicenseShortName|LicenseUrl|ImageDescription",
}


@register
class Wikimedia(PagedSource):
    """Files in Commons' File: namespace matching a query, with a descriptive User-Agent."""

    name = "wikimedia"
    example = "red fox"

    async def pages(self, query: str) -> AsyncGenerator[list[Candidate], None]:
        """Merge each answer's ``continue`` into the next request until there is none."""
        url = self.base_url("wikimedia_url") + "/w/api.php"
        # Commons refuses generic User-Agents; it asks bots to identify themselves.
        headers = {"User-Agent": self.settings.bot_user_agent}
        params: dict[str, str | int] = {**_FIXED, "gsrsearch": f"filetype:bitmap {query}"}
        page = 0
        while True:
            page += 1
            data = await self.fetch_json(url, page, params=params, headers=headers)
            yield parse_answer(data, page)
            follow = data.get("continue")
            if not isinstance(follow, dict):
                return
            params = {**params, **{k: str(v) for k, v in follow.items()}}


def parse_answer(data: dict[str, Any], page: int) -> list[Candidate]:
    """The files of one answer, in relevance order; formatversion 1 (dict) and 2 (list)."""
    if isinstance(data.get("error"), dict):
        info = data["error"].get("info") or data["error"].get("code")
        raise SourceError("wikimedia", f"API error on page {page}: {info}")
    if "query" not in data:
        if "batchcomplete" in data or "continue" in data:
            return []
        raise LayoutChanged("wikimedia", f"page {page} has no 'query', layout changed?")
    entries = _entries(data["query"], page)
    batch = [c for c in map(parse_page, entries) if c is not None]
    if any("imageinfo" in e for e in entries) and not batch:
        raise LayoutChanged("wikimedia", f"no results parsed from page {page}, layout changed?")
    return batch


def _entries(query: Any, page: int) -> list[dict[str, Any]]:
    pages = query.get("pages") if isinstance(query, dict) else None
    if isinstance(pages, dict):
        pages = list(pages.values())
    if not isinstance(pages, list):
        raise LayoutChanged("wikimedia", f"page {page} has no 'pages', layout changed?")
    entries = [p for p in pages if isinstance(p, dict)]
    # Version 1 orders pages by id; the search rank is in ``index``.
    return sorted(entries, key=lambda p: to_int(p.get("index")) or 0)


def parse_page(entry: dict[str, Any]) -> Candidate | None:
    """One file: ``imageinfo[0].url`` (not ``thumburl``) and its extmetadata, HTML stripped."""
    infos = entry.get("imageinfo")
    info = infos[0] if isinstance(infos, list) and infos else None
    if not isinstance(info, dict) or "filemissing" in info:
        return None
    url = http_url(info.get("url"))
    if url is None:
        return None
    meta = info.get("extmetadata")
    meta = meta if isinstance(meta, dict) else {}
    return Candidate(
        url=url,
        source="wikimedia",
        page_url=http_url(info.get("descriptionurl")),
        title=file_title(entry.get("title")),
        width=to_int(info.get("width")),
        height=to_int(info.get("height")),
        licence=_meta_text(meta, "LicenseShortName"),
        licence_url=http_url(_meta_text(meta, "LicenseUrl")),
        creator=_meta_text(meta, "Artist"),
        thumbnail_url=http_url(info.get("thumburl")),
        caption=_meta_text(meta, "ImageDescription"),
    )


def _meta_text(meta: dict[str, Any], key: str) -> str | None:
    field = meta.get(key)
    return strip_html(field.get("value")) if isinstance(field, dict) else None


def file_title(title: object) -> str | None:
    """``File:Red fox.jpg`` → ``Red fox``."""
    if not isinstance(title, str) or not title.strip():
        return None
    name = title.split(":", 1)[1] if title.startswith("File:") else title
    stem, dot, _ext = name.rpartition(".")
    return (stem if dot else name).strip() or None
