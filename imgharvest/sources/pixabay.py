"""Pixabay API (needs a key): ``imageURL`` when the key has full access, else ``largeImageURL``."""

from __future__ import annotations

from typing import Any

from imgharvest.sources.base import Candidate, register
from imgharvest.sources.common import NumberedSource, http_url, strip_html, to_int

PAGE_SIZE = 100
LICENCE = ("Pixabay Content License", "https://pixabay.com/service/license-summary/")


@register
class Pixabay(NumberedSource):
    """Pixabay's official API; it answers at most ``totalHits`` (500) results per query."""

    name = "pixabay"
    example = "sunflower field"
    key_setting = "pixabay_api_key"
    items_key = "hits"

    async def request(self, query: str, page: int) -> dict[str, Any]:
        """One page of 100 photos."""
        params: dict[str, str | int] = {
            "key": str(self.settings.pixabay_api_key),
            "q": query[:100],
            "image_type": "photo",
            "safesearch": "true" if self.options.safe_search else "false",
            "page": page,
            "per_page": PAGE_SIZE,
        }
        return await self.fetch_json(self.base_url("pixabay_url") + "/api/", page, params=params)

    def is_last(self, data: dict[str, Any], page: int) -> bool:
        """``page * per_page`` reached ``totalHits`` (asking further is an error)."""
        return page * PAGE_SIZE >= (to_int(data.get("totalHits")) or 0)

    def parse_item(self, item: Any) -> Candidate | None:
        """One hit: ``imageURL`` if offered, else ``largeImageURL``, never the previews."""
        return parse_hit(item)


def parse_hit(hit: Any) -> Candidate | None:
    """One hit; the stated size is the original's, so it is kept only with ``imageURL``."""
    if not isinstance(hit, dict):
        return None
    original = http_url(hit.get("imageURL"))
    url = original or http_url(hit.get("largeImageURL"))
    if url is None:
        return None
    return Candidate(
        url=url,
        source="pixabay",
        page_url=http_url(hit.get("pageURL")),
        title=strip_html(hit.get("tags")),
        width=to_int(hit.get("imageWidth")) if original else None,
        height=to_int(hit.get("imageHeight")) if original else None,
        licence=LICENCE[0],
        licence_url=LICENCE[1],
        creator=strip_html(hit.get("user")),
        thumbnail_url=http_url(hit.get("previewURL")),
    )
