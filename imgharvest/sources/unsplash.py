"""Unsplash search API (needs an access key): ``urls.full``, else ``urls.raw``."""

from __future__ import annotations

from typing import Any

from imgharvest.sources.base import Candidate, register
from imgharvest.sources.common import NumberedSource, http_url, strip_html, to_int

PAGE_SIZE = 30
LICENCE = ("Unsplash License", "https://unsplash.com/license")


@register
class Unsplash(NumberedSource):
    """Unsplash's official API; every photo is under the Unsplash License."""

    name = "unsplash"
    example = "foggy forest"
    key_setting = "unsplash_access_key"
    items_key = "results"

    async def request(self, query: str, page: int) -> dict[str, Any]:
        """One page of 30 (the maximum)."""
        headers = {
            "Authorization": f"Client-ID {self.settings.unsplash_access_key}",
            "Accept-Version": "v1",
        }
        params: dict[str, str | int] = {
            "query": query,
            "page": page,
            "per_page": PAGE_SIZE,
            "content_filter": "high" if self.options.safe_search else "low",
        }
        url = self.base_url("unsplash_url") + "/search/photos"
        return await self.fetch_json(url, page, params=params, headers=headers)

    def is_last(self, data: dict[str, Any], page: int) -> bool:
        """``total_pages`` reached."""
        return page >= (to_int(data.get("total_pages")) or 0)

    def parse_item(self, item: Any) -> Candidate | None:
        """One photo: ``urls.full`` (or ``raw``), never ``regular``/``small``/``thumb``."""
        return parse_photo(item)


def parse_photo(photo: Any) -> Candidate | None:
    """One photo as a candidate, or None without a full-size URL."""
    urls = photo.get("urls") if isinstance(photo, dict) else None
    if not isinstance(photo, dict) or not isinstance(urls, dict):
        return None
    url = http_url(urls.get("full")) or http_url(urls.get("raw"))
    if url is None:
        return None
    links, user = photo.get("links"), photo.get("user")
    return Candidate(
        url=url,
        source="unsplash",
        page_url=http_url(links.get("html")) if isinstance(links, dict) else None,
        title=strip_html(photo.get("alt_description") or photo.get("description")),
        width=to_int(photo.get("width")),
        height=to_int(photo.get("height")),
        licence=LICENCE[0],
        licence_url=LICENCE[1],
        creator=strip_html(user.get("name")) if isinstance(user, dict) else None,
        thumbnail_url=http_url(urls.get("thumb")),
    )
