"""Pexels search API (needs a key): ``src.original`` is the full-size file."""

from __future__ import annotations

from typing import Any

from imgharvest.sources.base import Candidate, register
from imgharvest.sources.common import NumberedSource, http_url, strip_html, to_int

PAGE_SIZE = 80
LICENCE = ("Pexels License", "https://www.pexels.com/license/")


@register
class Pexels(NumberedSource):
    """Pexels' official API; every photo is under the Pexels License."""

    name = "pexels"
    example = "mountain lake"
    key_setting = "pexels_api_key"
    items_key = "photos"

    async def request(self, query: str, page: int) -> dict[str, Any]:
        """One page of 80 (the maximum)."""
        # Pexels wants the bare key here, no "Bearer".
        headers = {"Authorization": str(self.settings.pexels_api_key)}
        params: dict[str, str | int] = {"query": query, "page": page, "per_page": PAGE_SIZE}
        url = self.base_url("pexels_url") + "/v1/search"
        return await self.fetch_json(url, page, params=params, headers=headers)

    def is_last(self, data: dict[str, Any], page: int) -> bool:
        """No ``next_page`` offered."""
        return not data.get("next_page")

    def parse_item(self, item: Any) -> Candidate | None:
        """One photo: ``src.original``, never the resized ``src.*`` variants."""
        return parse_photo(item)


def parse_photo(photo: Any) -> Candidate | None:
    """One photo as a candidate, or None without ``src.original``."""
    src = photo.get("src") if isinstance(photo, dict) else None
    url = http_url(src.get("original")) if isinstance(src, dict) else None
    if url is None or not isinstance(src, dict):
        return None
    return Candidate(
        url=url,
        source="pexels",
        page_url=http_url(photo.get("url")),
        title=strip_html(photo.get("alt")),
        width=to_int(photo.get("width")),
        height=to_int(photo.get("height")),
        licence=LICENCE[0],
        licence_url=LICENCE[1],
        creator=strip_html(photo.get("photographer")),
        thumbnail_url=http_url(src.get("tiny")),
    )
