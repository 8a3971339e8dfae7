"""Openverse (CC-licensed images): the ``/v1/images/`` API, licence fields kept."""

from __future__ import annotations

from typing import Any

from imgharvest.sources.base import Candidate, register
from imgharvest.sources.common import NumberedSource, http_url, strip_html, text_or_none, to_int

# Anonymous clients get 401 above 20 per page and 400 beyond page 20.
PAGE_SIZE = 20
_NAMED = {"cc0": "CC0", "pdm": "Public Domain Mark"}
# Every Openverse image is CC or public domain: "open" asks for no more than that.
LICENCE_TYPES = {"open": "all-cc", "commercial": "commercial"}


@register
class Openverse(NumberedSource):
    """Anonymous Openverse search; every result carries its licence and creator."""

    name = "openverse"
    example = "red fox"
    items_key = "results"
    max_page = 20

    async def request(self, query: str, page: int) -> dict[str, Any]:
        """One page of 20 (the anonymous maximum)."""
        mature = "false" if self.options.safe_search else "true"
        params: dict[str, str | int] = {
            "q": query, "page": page, "page_size": PAGE_SIZE, "mature": mature,
        }  # fmt: skip
        if self.options.licence in LICENCE_TYPES:
            params["license_type"] = LICENCE_TYPES[self.options.licence]
        return await self.fetch_json(
            self.base_url("openverse_url") + "/v1/images/", page, params=params
        )

    def is_last(self, data: dict[str, Any], page: int) -> bool:
        """``page_count`` reached (it is capped at 20)."""
        return page >= (to_int(data.get("page_count")) or 0)

    def parse_item(self, item: Any) -> Candidate | None:
        """One result: ``url`` is the original file, ``thumbnail`` Openverse's proxy copy."""
        return parse_result(item)


def parse_result(item: Any) -> Candidate | None:
    """One result as a candidate with its licence, or None without a usable ``url``."""
    url = http_url(item.get("url")) if isinstance(item, dict) else None
    if url is None or not isinstance(item, dict):
        return None
    return Candidate(
        url=url,
        source="openverse",
        page_url=http_url(item.get("foreign_landing_url")),
        title=strip_html(item.get("title")),
        width=to_int(item.get("width")),
        height=to_int(item.get("height")),
        licence=licence_name(item.get("license"), item.get("license_version")),
        licence_url=http_url(item.get("license_url")),
        creator=strip_html(item.get("creator")),
        thumbnail_url=http_url(item.get("thumbnail")),
        caption=strip_html(item.get("description")),
    )


def licence_name(slug: object, version: object) -> str | None:
    """A readable licence from a slug and version: ``by-sa``, ``2.0`` → ``CC BY-SA 2.0``."""
    code = text_or_none(slug)
    if code is None:
        return None
    name = _NAMED.get(code.lower(), f"CC {code.upper()}")
    release = text_or_none(version)
    return f"{name} {release}" if release else name
