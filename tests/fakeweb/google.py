"""A fake Google (fact sheet §3.1): the no-JavaScript ``/wml/search`` route, the captcha at
``/sorry/`` reached by a 302, the "enable JavaScript" wall, and an Images page that builds its
results with script (consent page first, more results as the reader scrolls).

The shared trouble queries of ``search`` (captcha, 403, 429, layout) work here too. These
are Google's own, and only Google sees them, so other engines answer the same query
normally (fall-through tests):

- ``SORRY``: every Google route redirects (302) to the ``/sorry/`` captcha;
- ``RECAPTCHA``: HTTP 503 with the reCAPTCHA page;
- ``JSWALL``: ``/wml/search`` answers with the wall; the Images page works in a browser;
- ``JSWALL_ALL``: both answer with the wall;
- ``CHALLENGE``: Google's 2026 answer to a client it does not trust, on every route: a
  JavaScript challenge whose ``<noscript>`` refreshes to ``/httpservice/retry/enablejs`` and
  whose script, run in a browser, sets an ``SG_SS`` cookie and reloads at once; the fake never
  accepts the answer, so a browser reloads it again and again (``page.goto`` never settles);
- ``STALL``: the WML route walled, and the Images page answers only after ``STALL_SECONDS``
  (or never, if the client hangs up first).

Full-size URLs are the catalog's; thumbnails are ``/thumb/`` (counted by the fake's hits) and
``encrypted-tbn0.gstatic.com`` (never reachable here).
"""

from __future__ import annotations

import asyncio
import html
import json
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from aiohttp import web

from tests.fakeweb.search import (
    EMPTY,
    LAYOUT,
    as_int,
    items_for,
    page_url,
    thumb_url,
    trouble,
)

if TYPE_CHECKING:
    from tests.fakeweb.catalog import FakeImage
    from tests.fakeweb.server import FakeWeb

SORRY = "__google_sorry__"
RECAPTCHA = "__google_recaptcha__"
JSWALL = "__google_jswall__"
JSWALL_ALL = "__google_jswall_all__"
CHALLENGE = "__google_challenge__"
STALL = "__google_stall__"
STALL_SECONDS = 40.0
WML_PAGE = 10
GRID_BATCH = 20
OLD_PHONES = ("Nokia", "MIDP", "SonyEricsson", "SAMSUNG-SGH", "BlackBerry")

JS_WALL = (
    "<!DOCTYPE html><html lang=en><head><title>Google Search</title>"
    '<noscript><meta content="0;url=/httpservice/retry/enablejs?sei=fake" '
    'http-equiv="refresh"></noscript></head><body><noscript>'
    '<div style="display:block">Please click <a href="/httpservice/retry/enablejs?sei=fake">'
    "here</a> if you are not redirected within a few seconds.</div></noscript>"
    "<div>If you're having trouble accessing Google Search, please "
    '<a href="/search?q=x&amp;emsg=SG_REL">click here</a>, or send feedback.</div>'
    "<script>(function(){var q='x';})();</script></body></html>"
)
# Shaped like the answer Google gave non-browser clients in 2026: everything but the refresh
# hidden without script; with script, a token is worked out, kept in the SG_SS cookie, and the
# same URL is loaded again (synchronously, before the document is parsed to its end).
CHALLENGE_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><title>Google Search</title>'
    "<style>body{{background-color:#fff}}</style></head><body><noscript>"
    "<style>table,div,span,p{{display:none}}</style>"
    '<meta content="0;url=/httpservice/retry/enablejs?sei={sei}" http-equiv="refresh">'
    '<div style="display:block">Please click <a href="/httpservice/retry/enablejs?sei={sei}">'
    "here</a> if you are not redirected within a few seconds.</div></noscript>"
    '<script nonce="{sei}">(function(){{var sei="{sei}",t=0;'
    "for(var i=0;i<2e5;i++){{t=(t*31+sei.charCodeAt(i%sei.length))|0;}}"
    'document.cookie="SG_SS=*"+(t>>>0).toString(36)+";path=/";'
    "location.replace(location.href);}})();</script>"
    "<div>If you're having trouble accessing Google Search, please "
    '<a href="/search?q={q}&amp;emsg=SG_REL&amp;sei={sei}">click here</a>, or send '
    '<a href="#" data-bucket="feedback">feedback</a>.</div></body></html>'
)
ENABLEJS_PAGE = (
    "<!DOCTYPE html><html><head><title>Google Search</title></head><body>"
    "<p>Turn on JavaScript to keep searching</p></body></html>"
)
SORRY_PAGE = (
    "<html><head><title>https://www.google.com/search</title></head><body>"
    "<div>Our systems have detected unusual traffic from your computer network.</div>"
    '<script src="https://www.google.com/recaptcha/api.js" async defer></script>'
    '<form id="captcha-form" action="/sorry/index" method="post">'
    '<div class="g-recaptcha" data-sitekey="x"></div></form></body></html>'
)
CONSENT_PAGE = (
    "<!doctype html><html><head><title>Before you continue to Google</title></head><body>"
    "<h1>Before you continue to Google</h1><p>We use cookies and data to deliver services.</p>"
    '<form action="/consent/save" method="post"><input type="hidden" name="continue" '
    'value="{cont}"><button type="submit">Reject all</button>'
    '<button type="submit" name="set_eom" value="false">Accept all</button></form>'
    "</body></html>"
)


def add_routes(app: web.Application, fw: FakeWeb) -> None:
    """Register the Google routes."""

    async def wml_route(request: web.Request) -> web.Response:
        return wml(fw, request)

    async def images_route(request: web.Request) -> web.Response:
        return await images_page(fw, request)

    async def more_route(request: web.Request) -> web.Response:
        return more(fw, request)

    async def sorry(request: web.Request) -> web.Response:
        return web.Response(status=429, text=SORRY_PAGE, content_type="text/html")

    async def consent(request: web.Request) -> web.Response:
        cont = html.escape(request.query.get("continue", "/"), quote=True)
        return web.Response(text=CONSENT_PAGE.format(cont=cont), content_type="text/html")

    async def consent_save(request: web.Request) -> web.Response:
        form = await request.post()
        response = web.HTTPFound(str(form.get("continue", "/")))
        response.set_cookie("CONSENT", "YES+", path="/")
        raise response

    async def enablejs(request: web.Request) -> web.Response:
        return web.Response(text=ENABLEJS_PAGE, content_type="text/html")

    app.router.add_get("/httpservice/retry/enablejs", enablejs)
    app.router.add_get("/wml/search", wml_route)
    app.router.add_get("/search", images_route)
    app.router.add_get("/search/more", more_route)
    app.router.add_get("/sorry/index", sorry)
    app.router.add_get("/consent", consent)
    app.router.add_post("/consent/save", consent_save)


def _sorry(request: web.Request) -> web.Response:
    raise web.HTTPFound("/sorry/index?" + urlencode({"continue": str(request.url)}))


def _wall() -> web.Response:
    return web.Response(text=JS_WALL, content_type="text/html")


def challenge(request: web.Request) -> web.Response:
    """The JavaScript challenge, a new ``sei`` each time (its solution is never accepted)."""
    sei = secrets.token_urlsafe(12)
    query = quote(request.query.get("q", ""))
    return web.Response(text=CHALLENGE_PAGE.format(sei=sei, q=query), content_type="text/html")


# -- /wml/search ----------------------------------------------------------------
def wml(fw: FakeWeb, request: web.Request) -> web.Response:
    """Ten ``/imgres`` links a page after an ``<?xml ...?>`` prefix; the wall for modern UAs."""
    query = request.query.get("q", "")
    if query == SORRY:
        return _sorry(request)
    if query == RECAPTCHA:
        return web.Response(status=503, text=SORRY_PAGE, content_type="text/html")
    if query == CHALLENGE:
        return challenge(request)
    blocked = trouble(query)
    if blocked is not None:
        return blocked
    if query == LAYOUT:
        return web.Response(text="<html><body><div class=new>results</div></body></html>",
                            content_type="text/html")  # fmt: skip
    user_agent = request.headers.get("User-Agent", "")
    if query in (JSWALL, JSWALL_ALL, STALL) or not any(p in user_agent for p in OLD_PHONES):
        return _wall()
    start = max(0, as_int(request.query.get("start"), 0))
    chunk = items_for(fw, query)[start : start + WML_PAGE]
    body = "".join(wml_result(fw, item) for item in chunk) or (
        f"<p>Your search - {html.escape(query)} - did not match any image results.</p>"
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE html PUBLIC "-//WAPFORUM//DTD XHTML Mobile 1.0//EN" '
        '"http://www.wapforum.org/DTD/xhtml-mobile10.dtd">'
        f"<html><head><title>{html.escape(query)} - Google Search</title></head>"
        f'<body><div>{body}</div><a href="/wml/search?q={quote(query)}&amp;start='
        f'{start + WML_PAGE}">Next</a></body></html>'
    )
    return web.Response(text=text, content_type="text/html")


def wml_result(fw: FakeWeb, item: FakeImage) -> str:
    """One result: an ``/imgres`` link around its thumbnail."""
    params = urlencode(
        {"imgurl": fw.image_url(item), "imgrefurl": page_url(fw, item), "h": item.height,
         "w": item.width, "tbnid": f"tbn{item.id}", "docid": item.id, "sa": "X"}
    )  # fmt: skip
    return (
        f'<div><a href="/imgres?{html.escape(params)}">'
        f'<img src="https://encrypted-tbn0.gstatic.com/images?q=tbn:tbn{item.id}" alt="">'
        f'<img src="{thumb_url(fw, item)}" alt=""></a></div>'
    )


# -- /search (the Images page, for a real browser) -------------------------------------
async def images_page(fw: FakeWeb, request: web.Request) -> web.Response:
    """Consent first; then a page whose grid and data are built by script."""
    query = request.query.get("q", "")
    if query in (SORRY, RECAPTCHA):
        return _sorry(request)
    if query == JSWALL_ALL:
        return _wall()
    if query == CHALLENGE:
        return challenge(request)
    if query == STALL:
        await _stall(request)
    if "CONSENT=YES" not in request.headers.get("Cookie", ""):
        raise web.HTTPFound("/consent?" + urlencode({"continue": str(request.rel_url)}))
    first = grid_data(fw, query, 0)
    return web.Response(text=IMAGES_PAGE % (json.dumps(query), first), content_type="text/html")


async def _stall(request: web.Request) -> None:
    """Answer nothing for ``STALL_SECONDS``, or until the client hangs up."""
    deadline = time.monotonic() + STALL_SECONDS
    while time.monotonic() < deadline:
        if request.transport is None or request.transport.is_closing():
            return
        await asyncio.sleep(0.2)


def grid_data(fw: FakeWeb, query: str, start: int) -> str:
    """A batch of results as Google's script data: thumbnail triple, then full-size triple."""
    items = [] if query == EMPTY else items_for(fw, query)[start : start + GRID_BATCH]
    tbn = "https://encrypted-tbn0.gstatic.com/images?q=tbn:tbn"
    rows = [
        [f"tbn{item.id}", [f"{tbn}{item.id}", 150, 200],
         [fw.image_url(item), item.height, item.width], page_url(fw, item), thumb_url(fw, item)]
        for item in items
    ]  # fmt: skip
    # Google escapes '=' and '&' inside its script data.
    return json.dumps(rows, separators=(",", ":")).replace("=", "\\u003d").replace("&", "\\u0026")


def more(fw: FakeWeb, request: web.Request) -> web.Response:
    """The next batch for the infinite scroll (XHR), with Google's anti-JSON prefix."""
    query = request.query.get("q", "")
    start = max(0, as_int(request.query.get("start"), 0))
    return web.Response(text=")]}'\n" + grid_data(fw, query, start), content_type="text/plain")


IMAGES_PAGE = """<!doctype html><html><head><title>Google Images</title>
<style>.grid div{display:inline-block;width:200px;height:150px;margin:4px}</style></head>
<body><div class="grid" id="islrg"></div><div id="sentinel" style="height:20px"></div>
<script>
const query = %s;
let start = 0, loading = false, done = false;
function show(rows) {
  const grid = document.getElementById("islrg");
  for (const row of rows) {
    const cell = document.createElement("div");
    cell.setAttribute("data-id", row[0]);
    const img = document.createElement("img");
    img.src = row[4];
    cell.appendChild(img);
    grid.appendChild(cell);
  }
  start += rows.length;
  if (rows.length === 0) done = true;
}
show(AF_initDataCallback({key: "ds:1", data: %s}));
function AF_initDataCallback(blob) { return blob.data; }
new IntersectionObserver(async (entries) => {
  if (!entries[0].isIntersecting || loading || done) return;
  loading = true;
  const r = await fetch("/search/more?q=" + encodeURIComponent(query) + "&start=" + start);
  const text = await r.text();
  show(JSON.parse(text.slice(text.indexOf("\\n") + 1)));
  loading = false;
}).observe(document.getElementById("sentinel"));
</script></body></html>"""
