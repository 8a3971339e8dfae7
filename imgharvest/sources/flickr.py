"""Flickr ``flickr.photos.search`` (needs a key): the original or else the largest size offered."""

from __future__ import annotations

from typing import Any

from imgharvest.errors import SourceBlocked, SourceError
from imgharvest.licences import allowed, normalise
from imgharvest.sources.base import Candidate, register
from imgharvest.sources.common import NumberedSource, http_url, strip_html, text_or_none, to_int

PAGE_SIZE = 100
# Flickr answers at most the first 4000 results of any search.
MAX_RESULTS = 4000
# Size suffixes, largest first; ``o`` is the original upload.
SIZES = ("o", "6k", "5k", "4k", "3k", "k", "h", "l", "c", "z", "m", "n", "w", "s", "q", "t")
THUMBS = ("n", "q", "t", "s")
EXTRAS = "license,owner_name," + ",".join(f"url_{s}" for s in ("o", "k", "h", "l", "c", "z", "n"))
_KEY_ERRORS = frozenset({2, 98, 99, 100})
_CC = "https://creativecommons.org/licenses"
LICENCES: dict[int, tuple[str, str | None]] = {
    0: ("All Rights Reserved", None),
    1: ("CC BY-NC-SA 2.0", f"{_CC}/by-nc-sa/2.0/"),
    2: ("CC BY-NC 2.0", f"{_CC}/by-nc/2.0/"),
    3: ("CC BY-NC-ND 2.0", f"{_CC}/by-nc-nd/2.0/"),
    4: ("CC BY 2.0", f"{_CC}/by/2.0/"),
    5: ("CC BY-SA 2.0", f"{_CC}/by-sa/2.0/"),
    6: ("CC BY-ND 2.0", f"{_CC}/by-nd/2.0/"),
    7: ("No known copyright restrictions", "https://www.flickr.com/commons/usage/"),
    8: ("United States Government Work", "http://www.usa.gov/copyright.shtml"),
    9: ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    10: ("Public Domain Mark 1.0", "https://creativecommons.org/publicdomain/mark/1.0/"),
}


@register
class Flickr(NumberedSource):
    """Flickr's REST search, asking for every size URL and the licence in one call."""

    name = "flickr"
    example = "red fox"
    key_setting = "flickr_api_key"
    items_key = "photo"
    max_page = MAX_RESULTS // PAGE_SIZE

    async def request(self, query: str, page: int) -> dict[str, Any]:
        """The ``photos`` object of one page; Flickr reports errors with HTTP 200."""
        url = self.base_url("flickr_url") + "/services/rest/"
        data = await self.fetch_json(url, page, params=self._params(query, page))
        if data.get("stat") == "fail":
            code, message = to_int(data.get("code")), data.get("message", "")
            error = SourceBlocked if code in _KEY_ERRORS else SourceError
            raise error(self.name, f"API error {code} on page {page}: {message}")
        photos = data.get("photos")
        return photos if isinstance(photos, dict) else {}

    def is_last(self, data: dict[str, Any], page: int) -> bool:
        """``photos.pages`` reached."""
        return page >= (to_int(data.get("pages")) or 0)

    def parse_item(self, item: Any) -> Candidate | None:
        """One photo: the original, else the largest size offered."""
        return parse_photo(item)

    def _params(self, query: str, page: int) -> dict[str, str | int]:
        params = self._base_params(query, page)
        if self.options.licence != "any":
            params["license"] = licence_ids(self.options.licence)
        return params

    def _base_params(self, query: str, page: int) -> dict[str, str | int]:
        return {
            "method": "flickr.photos.search",
            "api_key": str(self.settings.flickr_api_key),
            "text": query,
            "format": "json",
            "nojsoncallback": 1,
            "extras": EXTRAS,
            "sort": "relevance",
            "safe_search": 1 if self.options.safe_search else 3,
            "per_page": PAGE_SIZE,
            "page": page,
        }


def licence_ids(policy: str) -> str:
    """Flickr's ``license`` search parameter: the ids whose licence passes ``policy``."""
    passing = (i for i, (name, url) in LICENCES.items() if allowed(policy, normalise(name, url)))
    return ",".join(str(i) for i in passing)


def parse_photo(photo: Any) -> Candidate | None:
    """One photo: ``url_o``, else the widest ``url_*``; licence id mapped to its name."""
    if not isinstance(photo, dict):
        return None
    size = largest_size(photo)
    if size is None:
        return None
    code = to_int(photo.get("license"))
    licence, licence_url = LICENCES.get(code, (None, None)) if code is not None else (None, None)
    owner, photo_id = text_or_none(photo.get("owner")), text_or_none(photo.get("id"))
    page = f"https://www.flickr.com/photos/{owner}/{photo_id}" if owner and photo_id else None
    return Candidate(
        url=str(http_url(photo[f"url_{size}"])),
        source="flickr",
        page_url=page,
        title=strip_html(photo.get("title")),
        width=to_int(photo.get(f"width_{size}")),
        height=to_int(photo.get(f"height_{size}")),
        licence=licence,
        licence_url=licence_url,
        creator=strip_html(photo.get("ownername")),
        thumbnail_url=next(filter(None, (http_url(photo.get(f"url_{s}")) for s in THUMBS)), None),
    )


def largest_size(photo: dict[str, Any]) -> str | None:
    """The suffix of the largest size present: by stated width, else by suffix order."""
    present = [s for s in SIZES if http_url(photo.get(f"url_{s}"))]
    if not present or present[0] == "o":
        return present[0] if present else None
    return max(present, key=lambda s: (to_int(photo.get(f"width_{s}")) or 0, -SIZES.index(s)))
