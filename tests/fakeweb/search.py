"""Fake search endpoints shaped like the real ones (fact sheet §11), serving ``fw.catalog(query)``.

Every image of a catalog is reachable by paging. Trouble is chosen by the
query, so tests sharing the session-wide fake never collide:

- ``EMPTY``: no results;  ``CAPTCHA``: a captcha page (HTTP 200, HTML);
- ``BLOCKED``: HTTP 403;  ``THROTTLED``: HTTP 429 (``Retry-After: 0``);
- ``LAYOUT``: an answer in a shape no parser knows;
- ``LAYOUT_PAGE2``: page 1 as usual, later pages in an unknown shape;
- Bing only: ``REPEATS`` serves the last page again, forever, past the end;
- DuckDuckGo only: ``VQD_AMP`` / ``VQD_SINGLE`` pick the other token spellings,
  ``VQD_INPUT`` the html form's hidden input, ``NO_VQD`` a search page without one;
  ``DDG_ANOMALY`` the bot-protection page (HTTP 202); ``DDG_BARE_NEXT`` ``next`` links
  without the token (the client must send it on every page).

Full-size URLs are ``fw.image_url(item)``; thumbnails live under ``/thumb/``
and are small, so a parser that picks them is caught by size too.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakeweb import images
from tests.fakeweb.catalog import FakeImage

if TYPE_CHECKING:
    from tests.fakeweb.server import FakeWeb

EMPTY = "__empty__"
CAPTCHA = "__captcha__"
BLOCKED = "__blocked__"
THROTTLED = "__throttled__"
LAYOUT = "__layout__"
LAYOUT_PAGE2 = "__layout2__"
REPEATS = "__repeats__"
VQD_AMP = "__vqd_amp__"
VQD_SINGLE = "__vqd_single__"
NO_VQD = "__novqd__"
VQD_INPUT = "__vqd_input__"
DDG_ANOMALY = "__ddg_anomaly__"
DDG_BARE_NEXT = "__ddg_bare_next__"
BAD_KEY = "bad-key"

BING_PAGE = 35
DDG_PAGE = 100
OPENVERSE_MAX_ANON = 20
THUMB_SIZE = (64, 48)
CAPTCHA_PAGE = (
    "<!doctype html><html><head><title>One last step</title></head><body>"
    '<div id="b_captcha"><h1>Please solve the challenge below to continue</h1>'
    '<form action="/challenge/verify"><div class="captcha-box"></div></form></div>'
    "</body></html>"
)
DDG_ANOMALY_PAGE = (
    "<!DOCTYPE html><html><head><title>DuckDuckGo</title></head><body>"
    '<div class="anomaly-modal__mask"><div class="anomaly-modal__modal">'
    "<p>Unfortunately, bots use DuckDuckGo too.</p><p>Please complete the following "
    'challenge to confirm this search was made by a human.</p><form id="challenge-form" '
    'action="/anomaly.js" method="POST"></form></div></div></body></html>'
)
# Commons answers queries starting with this with a mix of licences, some not open at all,
# from the catalog "<query> commons" (so other sources can serve other pictures).
MIXED_LICENCES = "mixed licences"
COMMONS_MIXED = (
    ("CC BY-SA 4.0", "//creativecommons.org/licenses/by-sa/4.0"),
    ("Fair use", None),
    (None, None),
    ("Public domain", None),
    ("CC BY-NC 2.0", "//creativecommons.org/licenses/by-nc/2.0"),
    ("All rights reserved", None),
)
LICENCES = (
    ("by-sa", "2.0", "https://creativecommons.org/licenses/by-sa/2.0/"),
    ("by", "4.0", "https://creativecommons.org/licenses/by/4.0/"),
    ("cc0", "1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
)

Handler = Callable[[web.Request], Any]


def add_routes(app: web.Application, fw: FakeWeb) -> None:
    """Register every fake search endpoint and the thumbnail host."""
    routes: dict[str, Callable[[FakeWeb, web.Request], web.Response]] = {
        "/thumb/{name}": thumb,
        "/images/async": bing,
        "/": ddg_home,
        "/i.js": ddg_json,
        "/v1/images/": openverse,
        "/w/api.php": commons,
        "/services/rest/": flickr,
        "/v1/search": pexels,
        "/api/": pixabay,
        "/search/photos": unsplash,
    }
    for path, handler in routes.items():
        app.router.add_get(path, _bind(handler, fw))


def _bind(handler: Callable[[FakeWeb, web.Request], web.Response], fw: FakeWeb) -> Handler:
    async def bound(request: web.Request) -> web.Response:
        return handler(fw, request)

    return bound


# -- shared -------------------------------------------------------------------
def trouble(query: str) -> web.Response | None:
    """The answer for the query-selected block modes shared by every endpoint."""
    if query == CAPTCHA:
        return web.Response(text=CAPTCHA_PAGE, content_type="text/html")
    if query == BLOCKED:
        return web.Response(status=403, text="Forbidden")
    if query == THROTTLED:
        return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": "0"})
    return None


def items_for(fw: FakeWeb, query: str) -> list[FakeImage]:
    """The catalog a query pages through (none for ``EMPTY``)."""
    return [] if query == EMPTY else fw.catalog(query)


def thumb_url(fw: FakeWeb, item: FakeImage) -> str:
    """Where a catalog image's small thumbnail is served."""
    return f"{fw.url}/thumb/{item.id}.jpg"


def page_url(fw: FakeWeb, item: FakeImage) -> str:
    """The (never fetched) page an image is said to appear on."""
    return f"{fw.url}/site/{item.id}.html"


def as_int(value: str | None, default: int) -> int:
    """A query parameter as an int, or ``default``."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def thumb(fw: FakeWeb, request: web.Request) -> web.Response:
    """A small image whatever the id: thumbnails are never the full-size file."""
    seed = sum(request.match_info["name"].encode())
    return web.Response(body=images.make_image(seed, *THUMB_SIZE), content_type="image/jpeg")


# -- Bing /images/async -----------------------------------------------------
def bing(fw: FakeWeb, request: web.Request) -> web.Response:
    """HTML fragments of 35 ``a.iusc`` results; an empty body after the last page."""
    query = request.query.get("q", "")
    first = max(1, as_int(request.query.get("first"), 1))
    count = as_int(request.query.get("count"), BING_PAGE)
    blocked = trouble(query)
    if blocked is not None:
        return blocked
    items = items_for(fw, query)
    if query == REPEATS and first > len(items):
        first = max(1, len(items) - count + 1)
    chunk = items[first - 1 : first - 1 + count]
    if not chunk:
        return web.Response(text="", content_type="text/html")
    new_layout = query == LAYOUT or (query == LAYOUT_PAGE2 and first > 1)
    render = bing_new_item if new_layout else bing_item
    body = "".join(render(fw, item, first + i) for i, item in enumerate(chunk))
    next_url = html.escape(f"/images/async?q={query}&first={first + count}&count={count}")
    return web.Response(
        text=f'<div class="dgControl hover" data-nextUrl="{next_url}">'
        f'<ul class="dgControl_list">{body}</ul></div>',
        content_type="text/html",
    )


def bing_meta(fw: FakeWeb, item: FakeImage, index: int) -> str:
    """The ``m`` attribute: JSON, then HTML-escaped (``&quot;``, and ``&amp;`` in ``turl``)."""
    meta = {
        "cid": item.id,
        "purl": page_url(fw, item),
        "murl": fw.image_url(item),
        "turl": f"{thumb_url(fw, item)}?id=OIP.{item.id}&pid=15.1",
        "md5": hashlib.md5(item.id.encode()).hexdigest(),
        "shkey": "",
        "t": item.title.replace("Image", "<b>Image</b>", 1),
        "mid": str(index),
        "desc": f"A description of {item.id}" if item.seed % 2 == 0 else "",
    }
    return html.escape(json.dumps(meta), quote=True)


def bing_item(fw: FakeWeb, item: FakeImage, index: int) -> str:
    """One ``li`` in the nesting of fact sheet §1.3; sizes alternate "x" and U+00D7."""
    sep = " x " if index % 2 else "\u00d7"
    href = html.escape(
        "/images/search?" + urlencode({"view": "detailV2", "mediaurl": fw.image_url(item),
                                       "exph": item.height, "expw": item.width})
    )  # fmt: skip
    size = f"{item.width}{sep}{item.height} · jpeg"
    return (
        f'<li data-idx="{index}"><div class="iuscp varh"><div class="imgpt">'
        f'<a class="iusc" href="{href}" m="{bing_meta(fw, item, index)}">'
        f'<div class="img_cont hoff"><img class="mimg" src="{thumb_url(fw, item)}"></div></a>'
        f'<div class="img_info hon"><span class="nowrap">{size}</span>'
        f'<div class="lnkw"><a href="{page_url(fw, item)}">127.0.0.1</a></div></div></div>'
        f'<div class="infopt"><div class="infnmpt"><a href="{page_url(fw, item)}">'
        f"{html.escape(item.title)}</a></div></div></div></li>"
    )


def bing_new_item(fw: FakeWeb, item: FakeImage, index: int) -> str:
    """A result in a markup Bing might switch to: no ``a.iusc``, data in ``data-m``."""
    return (
        f'<li data-idx="{index}"><div class="imgpt"><a class="richImgLnk" '
        f'data-m="{bing_meta(fw, item, index)}"><img src="{thumb_url(fw, item)}"></a></div></li>'
    )


# -- DuckDuckGo / and /i.js ---------------------------------------------------
def vqd_for(query: str) -> str:
    """The token the fake issues for a query (real ones depend on query and UA)."""
    digits = str(int(hashlib.sha256(query.encode()).hexdigest(), 16))[:30]
    return f"4-{digits}"


def ddg_home(fw: FakeWeb, request: web.Request) -> web.Response:
    """The search page holding the ``vqd`` token in one of its three spellings."""
    query = request.query.get("q", "")
    token = vqd_for(query)
    spelled = {VQD_AMP: f"vqd={token}&", VQD_SINGLE: f"vqd='{token}'", NO_VQD: ""}
    snippet = spelled.get(query, f'vqd="{token}"')
    if query == DDG_ANOMALY:
        return web.Response(status=202, text=DDG_ANOMALY_PAGE, content_type="text/html")
    if query == VQD_INPUT:
        snippet = ""
        form = f'<form action="/html/"><input type="hidden" name="vqd" value="{token}"></form>'
    else:
        form = ""
    page = (
        "<!DOCTYPE html><html><head><title>DuckDuckGo</title>"
        f"<script>DDG.deep.initialize('/d.js?q=x&t=D&l=us-en&s=0&dl=en&{snippet}&p_ent=');"
        f"</script></head><body>{form}<div id=links></div></body></html>"
    )
    return web.Response(text=page, content_type="text/html")


def ddg_json(fw: FakeWeb, request: web.Request) -> web.Response:
    """``i.js`` JSON pages of 100 with ``next`` on all but the last; 403 for a bad vqd."""
    query = request.query.get("q", "")
    if request.query.get("vqd") != vqd_for(query):
        return web.Response(status=403, text="")
    blocked = trouble(query)
    if blocked is not None:
        return blocked
    if request.query.get("o") != "json":
        return web.Response(status=400, text="")
    offset = max(0, as_int(request.query.get("s"), 0))
    items = items_for(fw, query)
    chunk = items[offset : offset + DDG_PAGE]
    results = [ddg_result(fw, item) for item in chunk]
    answer: dict[str, Any] = {"ads": None, "query": query, "response_type": "images"}
    answer["data" if query == LAYOUT else "results"] = results
    if offset + DDG_PAGE < len(items):
        follow = {"q": query, "o": "json", "p": "1", "s": offset + DDG_PAGE, "u": "bing",
                  "f": ",,,,,", "l": "us-en", "vqd": request.query["vqd"]}  # fmt: skip
        if query == DDG_BARE_NEXT:
            del follow["vqd"]
        answer["next"] = "i.js?" + urlencode(follow)
    return web.json_response(answer)


def ddg_result(fw: FakeWeb, item: FakeImage) -> dict[str, Any]:
    """One ``i.js`` result: ``image`` full size, ``thumbnail`` small."""
    return {
        "title": item.title,
        "image": fw.image_url(item),
        "thumbnail": thumb_url(fw, item),
        "url": page_url(fw, item),
        "height": item.height,
        "width": item.width,
        "source": "Bing",
        "image_token": hashlib.md5(item.id.encode()).hexdigest(),
    }


# -- Openverse /v1/images/ -------------------------------------------------------
def openverse(fw: FakeWeb, request: web.Request) -> web.Response:
    """Pages of ≤20 for anonymous clients (401 above), page ≤ 20 (400 beyond)."""
    query = request.query.get("q", "")
    page = as_int(request.query.get("page"), 1)
    size = as_int(request.query.get("page_size"), 20)
    fw.state.setdefault("openverse_license_type", []).append(request.query.get("license_type"))
    if size > OPENVERSE_MAX_ANON and "Authorization" not in request.headers:
        detail = {"detail": "Authentication credentials were not provided."}
        return web.json_response(detail, status=401)
    if page > 20 or page < 1:
        return web.json_response({"detail": "Invalid page."}, status=400)
    if query == THROTTLED:
        detail = {"detail": "Request was throttled. Expected available in 0 seconds."}
        return web.json_response(detail, status=429, headers={"Retry-After": "0"})
    return trouble(query) or openverse_page(fw, query, page, size)


def openverse_page(fw: FakeWeb, query: str, page: int, size: int) -> web.Response:
    """One page of results, ``page_count`` capped at 20."""
    items = items_for(fw, query)
    chunk = items[(page - 1) * size : page * size]
    page_count = min(math.ceil(len(items) / size), 20)
    key = "items" if query == LAYOUT else "results"
    return web.json_response(
        {"result_count": len(items), "page_count": page_count, "page_size": size, "page": page,
         key: [openverse_result(fw, item, i) for i, item in enumerate(chunk)]}
    )  # fmt: skip


def openverse_result(fw: FakeWeb, item: FakeImage, index: int) -> dict[str, Any]:
    """One result with ``url`` (full), ``thumbnail`` (proxy) and the licence fields."""
    slug, version, url = LICENCES[int(item.seed) % len(LICENCES)]
    return {
        "id": item.id,
        "title": item.title,
        "foreign_landing_url": page_url(fw, item),
        "url": fw.image_url(item),
        "creator": f"Creator {item.id}",
        "creator_url": f"{fw.url}/site/creator/{item.id}",
        "license": slug,
        "license_version": version,
        "license_url": url,
        "provider": "flickr",
        "source": "flickr",
        "filetype": "jpg",
        "attribution": f'"{item.title}" by Creator {item.id} is licensed under CC.',
        "mature": False,
        "width": item.width,
        "height": item.height,
        "thumbnail": thumb_url(fw, item),
    }


# -- Wikimedia Commons /w/api.php ---------------------------------------------
def commons(fw: FakeWeb, request: web.Request) -> web.Response:
    """generator=search + imageinfo, ``continue`` until the end, formatversion 1 and 2."""
    agent = request.headers.get("User-Agent", "")
    # Commons wants bots to name themselves with a way to reach them.
    if "(" not in agent or not ("http" in agent or "@" in agent):
        return web.Response(status=403, text="Please set a user-agent and respect our robot policy")
    q = request.query
    if q.get("action") != "query" or q.get("generator") != "search":
        return web.json_response({"error": {"code": "badparams", "info": "Unsupported"}})
    query = " ".join(w for w in q.get("gsrsearch", "").split() if not w.startswith("filetype:"))
    blocked = trouble(query)
    if blocked is not None:
        return blocked
    return commons_page(fw, request, query)


def commons_page(fw: FakeWeb, request: web.Request, query: str) -> web.Response:
    """One answer; an extra page without ``imageinfo`` rides along on every answer."""
    offset = as_int(request.query.get("gsroffset"), 0)
    limit = min(as_int(request.query.get("gsrlimit"), 10), 50)
    items = items_for(fw, f"{query} commons" if query.startswith(MIXED_LICENCES) else query)
    chunk = items[offset : offset + limit]
    v2 = request.query.get("formatversion") == "2"
    answer: dict[str, Any] = {"batchcomplete": True if v2 else ""}
    if offset + limit < len(items):
        answer["continue"] = {"gsroffset": offset + limit, "continue": "gsroffset||"}
    if not chunk:
        return web.json_response(answer)
    pages = [commons_file(fw, item, offset + i + 1, query) for i, item in enumerate(chunk)]
    pages.append({"pageid": 7, "ns": 6, "title": "File:Gone.jpg", "index": offset + limit + 1})
    # Version 1 keys pages by id, so their order is not the search rank.
    pages.sort(key=lambda p: p["pageid"])
    answer["query"] = {"pages": pages if v2 else {str(p["pageid"]): p for p in pages}}
    return web.json_response(answer)


def commons_file(fw: FakeWeb, item: FakeImage, index: int, query: str) -> dict[str, Any]:
    """A File: page with imageinfo (``url`` full, ``thumburl`` at a standard width)."""
    info: dict[str, Any] = {
        "url": fw.image_url(item),
        "descriptionurl": f"{fw.url}/wiki/File:{item.id}.jpg",
        "thumburl": f"{thumb_url(fw, item)}?width=330",
        "thumbwidth": 330,
        "thumbheight": 248,
        "size": 12345,
        "width": item.width,
        "height": item.height,
        "mime": "image/jpeg",
        "extmetadata": {
            "LicenseShortName": {"value": "CC BY-SA 4.0", "source": "commons-desc-page"},
            "LicenseUrl": {"value": "//creativecommons.org/licenses/by-sa/4.0"},
            "Artist": {
                "value": f'<a href="//commons.example/wiki/User:X">Jane &amp; {item.id}</a>'
            },
        },
    }
    info["extmetadata"]["ImageDescription"] = {"value": f"<p>Commons file {item.id}</p>"}
    if query.startswith(MIXED_LICENCES):
        _mixed_licence(info["extmetadata"], item.seed)
    if query == LAYOUT:
        info["source_file"] = info.pop("url")
    return {"pageid": 1_000_000 - index * 7, "ns": 6, "title": f"File:{item.title}.jpg",
            "index": index, "imageinfo": [info]}  # fmt: skip


def _mixed_licence(meta: dict[str, Any], seed: int) -> None:
    name, url = COMMONS_MIXED[seed % len(COMMONS_MIXED)]
    meta.pop("LicenseShortName")
    meta.pop("LicenseUrl")
    if name is not None:
        meta["LicenseShortName"] = {"value": name}
    if url is not None:
        meta["LicenseUrl"] = {"value": url}


# -- Flickr /services/rest/ ----------------------------------------------------
def flickr(fw: FakeWeb, request: web.Request) -> web.Response:
    """``flickr.photos.search`` with ``stat`` wrapper; errors come with HTTP 200."""
    q = request.query
    if q.get("api_key") in (None, "", BAD_KEY):
        fail = {"stat": "fail", "code": 100, "message": "Invalid API Key (Key has invalid format)"}
        return web.json_response(fail)
    if q.get("method") != "flickr.photos.search":
        return web.json_response({"stat": "fail", "code": 112, "message": "Method not found"})
    query = q.get("text", "")
    page, per_page = as_int(q.get("page"), 1), min(as_int(q.get("per_page"), 100), 500)
    items = items_for(fw, query)
    chunk = items[(page - 1) * per_page : page * per_page]
    photos = [flickr_photo(fw, item, (page - 1) * per_page + i) for i, item in enumerate(chunk)]
    key = "photos_list" if query == LAYOUT else "photo"
    return trouble(query) or web.json_response(
        {"photos": {"page": page, "pages": math.ceil(len(items) / per_page), "perpage": per_page,
                    "total": str(len(items)), key: photos}, "stat": "ok"}
    )  # fmt: skip


def flickr_photo(fw: FakeWeb, item: FakeImage, index: int) -> dict[str, Any]:
    """A photo; every third has no ``url_o`` (its largest is ``url_l``); some numbers as text."""
    photo: dict[str, Any] = {
        "id": item.id, "owner": "12345678@N00", "secret": "ab12cd34ef", "server": "5123",
        "farm": 6, "title": item.title, "ispublic": 1, "license": str(index % 11),
        "ownername": f"Owner {item.id}",
        "url_n": thumb_url(fw, item), "width_n": THUMB_SIZE[0], "height_n": THUMB_SIZE[1],
    }  # fmt: skip
    size = "l" if index % 3 == 1 else "o"
    width = str(item.width) if index % 2 else item.width
    photo |= {f"url_{size}": fw.image_url(item), f"width_{size}": width,
              f"height_{size}": item.height}  # fmt: skip
    return photo


# -- Pexels /v1/search -----------------------------------------------------------
def pexels(fw: FakeWeb, request: web.Request) -> web.Response:
    """Bare-key auth, ``next_page`` only when there is one, rate headers on 200 only."""
    if request.headers.get("Authorization") in (None, "", BAD_KEY):
        return web.json_response({"status": 401, "code": "Unauthorized"}, status=401)
    q = request.query
    query = q.get("query", "")
    if query == THROTTLED:  # Pexels sends its 429 without rate headers.
        return web.Response(status=429, text="Too Many Requests")
    page, per_page = as_int(q.get("page"), 1), min(as_int(q.get("per_page"), 15), 80)
    items = items_for(fw, query)
    chunk = items[(page - 1) * per_page : page * per_page]
    answer: dict[str, Any] = {"page": page, "per_page": per_page, "total_results": len(items),
                              "photos": [pexels_photo(fw, i, query) for i in chunk]}  # fmt: skip
    if page * per_page < len(items):
        answer["next_page"] = f"{fw.url}/v1/search/?page={page + 1}&per_page={per_page}"
    headers = {"X-Ratelimit-Limit": "200", "X-Ratelimit-Remaining": "199",
               "X-Ratelimit-Reset": "1700000000"}  # fmt: skip
    return trouble(query) or web.json_response(answer, headers=headers)


def pexels_photo(fw: FakeWeb, item: FakeImage, query: str) -> dict[str, Any]:
    """A photo: ``src.original`` full size, the other ``src`` entries small."""
    small = thumb_url(fw, item)
    src = {"original": fw.image_url(item), "large2x": f"{small}?dpr=2", "large": small,
           "medium": small, "small": small, "tiny": f"{small}?tiny"}  # fmt: skip
    if query == LAYOUT:
        src["full"] = src.pop("original")
    return {"id": item.seed, "width": item.width, "height": item.height,
            "url": page_url(fw, item), "photographer": f"Photographer {item.id}",
            "alt": item.title, "src": src}  # fmt: skip


# -- Pixabay /api/ --------------------------------------------------------------
def pixabay(fw: FakeWeb, request: web.Request) -> web.Response:
    """Key in the query, ``totalHits`` ≤ 500, 400 text errors (bad key, page past the end)."""
    q = request.query
    if q.get("key") in (None, "", BAD_KEY):
        return web.Response(status=400, text='[ERROR 400] "key" is invalid.')
    query = q.get("q", "")
    page, per_page = as_int(q.get("page"), 1), as_int(q.get("per_page"), 20)
    if not 3 <= per_page <= 200:
        return web.Response(status=400, text='[ERROR 400] "per_page" is out of valid range.')
    items = items_for(fw, query)
    hits = min(len(items), 500)
    if (page - 1) * per_page >= max(hits, 1):
        return web.Response(status=400, text='[ERROR 400] "page" is out of valid range.')
    chunk = items[(page - 1) * per_page : min(page * per_page, hits)]
    found = [
        pixabay_hit(fw, item, (page - 1) * per_page + i, query) for i, item in enumerate(chunk)
    ]
    return trouble(query) or web.json_response(
        {"total": len(items), "totalHits": hits, "hits": found}
    )


def pixabay_hit(fw: FakeWeb, item: FakeImage, index: int, query: str) -> dict[str, Any]:
    """A hit; even ones carry ``imageURL`` (full access), whose ``largeImageURL`` is scaled."""
    small = thumb_url(fw, item)
    hit: dict[str, Any] = {
        "id": item.seed, "pageURL": page_url(fw, item), "type": "photo", "tags": item.title,
        "previewURL": small, "webformatURL": f"{small}?_640", "imageWidth": item.width,
        "imageHeight": item.height, "user": f"User {item.id}",
    }  # fmt: skip
    if index % 2 == 0:
        hit |= {"imageURL": fw.image_url(item), "largeImageURL": f"{small}?_1280"}
    else:
        hit["largeImageURL"] = fw.image_url(item)
    if query == LAYOUT:
        hit.pop("imageURL", None)
        hit.pop("largeImageURL")
    return hit


# -- Unsplash /search/photos ---------------------------------------------------
def unsplash(fw: FakeWeb, request: web.Request) -> web.Response:
    """``Client-ID`` auth, ≤30 per page, ``total_pages``."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Client-ID ") or auth.endswith(BAD_KEY):
        return web.json_response(
            {"errors": ["OAuth error: The access token is invalid"]}, status=401
        )
    q = request.query
    query = q.get("query", "")
    page, per_page = as_int(q.get("page"), 1), min(as_int(q.get("per_page"), 10), 30)
    items = items_for(fw, query)
    chunk = items[(page - 1) * per_page : page * per_page]
    return trouble(query) or web.json_response(
        {"total": len(items), "total_pages": math.ceil(len(items) / per_page),
         "results": [unsplash_photo(fw, item, query) for item in chunk]}
    )  # fmt: skip


def unsplash_photo(fw: FakeWeb, item: FakeImage, query: str) -> dict[str, Any]:
    """A photo: ``urls.full``/``raw`` full size, ``regular``/``small``/``thumb`` small."""
    small = thumb_url(fw, item)
    urls = {"raw": f"{fw.image_url(item)}?ixid=raw", "full": fw.image_url(item),
            "regular": f"{small}?w=1080", "small": f"{small}?w=400", "thumb": small}  # fmt: skip
    if query == LAYOUT:
        urls = {"preview": small}
    return {"id": item.id, "width": item.width, "height": item.height,
            "alt_description": item.title, "urls": urls, "links": {"html": page_url(fw, item)},
            "user": {"name": f"Author {item.id}"}}  # fmt: skip
