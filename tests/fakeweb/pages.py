"""Fake web routes: HTML fixture pages, a small crawlable site and ``/robots.txt``.

Files under ``pages_html/`` are served at ``/site/<path>``; ``{{OTHER}}`` in a
page becomes another origin (``localhost`` instead of ``127.0.0.1``, same
server) so off-site links are real but must not be followed. ``/img/pg/<name>``
serves a real image for any name (``pg/gallery.html`` shows them): as wide as the
number in its name (else 400 px), each name its own picture, encoded by its extension.
``EXPECTED`` is the exact list of ``(kind, url)`` references each fixture holds (one per
picture, its largest copy), ``{origin}`` standing for the server's origin.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakeweb import images

if TYPE_CHECKING:
    from tests.fakeweb.server import FakeWeb

ROOT = Path(__file__).parent / "pages_html"
CONTENT_TYPES = {".html": "text/html", ".json": "application/json", ".txt": "text/plain"}
REDIRECT_FROM = "/site/old/gallery"
REDIRECT_TO = "/site/fixtures/deep/dir/redirected.html"
PG_FORMATS = {"jpg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png"),
              "gif": ("GIF", "image/gif")}  # fmt: skip

EXPECTED: dict[str, list[tuple[str, str]]] = {
    "fixtures/base-relative.html": [
        ("img", "{origin}/site/assets/v2/a.jpg"),
        ("img", "{origin}/img/root.jpg"),
        ("img", "{origin}/site/assets/v2/sub/b.png"),
        ("img", "{origin}/site/assets/c.gif"),
        ("img", "http://cdn.example.net/d.webp"),
        ("img", "{origin}/site/assets/v2/e.jpg"),
        ("img", "{origin}/site/assets/v2/f&g.jpg"),
        ("img", "{origin}/site/assets/v2/%C3%BCn%C3%AF%20code.jpg"),
    ],
    "fixtures/base-absolute.html": [
        ("img", "https://static.example.org/media/2024/x.jpg"),
        ("img", "https://static.example.org/root.png"),
        ("img", "https://cdn.example.net/y.png"),
        ("img", "https://static.example.org/media/up.gif"),
        ("img", "http://other.example.com/abs.jpg"),
        ("link", "https://static.example.org/media/2024/full/large.jpeg"),
    ],
    "fixtures/deep/dir/redirected.html": [
        ("img", "{origin}/site/fixtures/deep/dir/img/1.jpg"),
        ("img", "{origin}/site/fixtures/deep/2.jpg"),
        ("img", "{origin}/img/3.jpg"),
    ],
    "fixtures/lazy.html": [
        ("lazy", "{origin}/img/lazy-a.jpg"),
        ("lazy", "{origin}/site/fixtures/lazy-b-1200.jpg"),
        ("lazy", "{origin}/site/fixtures/jq-c.jpg"),
        ("lazy", "{origin}/site/fixtures/orig-d.jpg"),
        ("lazy", "{origin}/site/fixtures/hires-e.jpg"),
        ("lazy", "{origin}/site/fixtures/f-3x.jpg"),
        ("background", "{origin}/img/bg-g.jpg"),
        ("background", "{origin}/site/fixtures/bg-h.jpg"),
        ("noscript", "{origin}/img/noscript-i.jpg"),
        ("picture", "{origin}/site/fixtures/pic-j-1280.webp"),
        ("poster", "{origin}/img/poster-k.jpg"),
    ],
    "fixtures/srcset.html": [
        ("srcset", "https://res.example.com/image/upload/w_1200,h_800,c_fill/cat.jpg"),
        ("srcset", "{origin}/site/fixtures/dog-2x.jpg"),
        ("srcset", "{origin}/img/bird,large.jpg"),
        ("srcset", "{origin}/site/fixtures/other.jpg"),
    ],
    "fixtures/meta.html": [
        ("og:image", "{origin}/img/og-property.jpg"),
        ("og:image", "{origin}/site/fixtures/og-name.jpg"),
        ("og:image", "https://secure.example.com/og-secure.jpg"),
        ("og:image", "{origin}/img/og-url.jpg"),
        ("twitter:image", "http://cdn.example.net/tw.jpg"),
        ("twitter:image", "{origin}/site/fixtures/tw-src.jpg"),
        ("image_src", "{origin}/img/image-src.jpg"),
        ("link", "{origin}/img/preload.jpg"),
        ("json-ld", "{origin}/img/ld-thumb.jpg"),
        ("json-ld", "{origin}/img/ld-primary.jpg"),
        ("json-ld", "{origin}/img/ld-a1.jpg"),
        ("json-ld", "{origin}/img/ld-a2.jpg"),
        ("json-ld", "{origin}/img/ld-author.jpg"),
        ("json-ld", "{origin}/img/ld-logo.png"),
        ("json-ld", "{origin}/site/fixtures/ld-product.jpg"),
        ("itemprop", "{origin}/img/microdata.jpg"),
    ],
    "fixtures/styles.html": [
        ("background", "{origin}/img/css-hero.jpg"),
        ("background", "{origin}/site/fixtures/css-card.png"),
        ("background", "{origin}/img/css-m1.jpg"),
        ("background", "{origin}/img/css-m2.jpg"),
        ("background", "{origin}/img/inline-a.jpg"),
        ("background", "{origin}/site/fixtures/inline-b.jpg"),
        ("background", "{origin}/site/fixtures/inline-c.jpg"),
        ("link", "{origin}/img/full-d.JPG"),
        ("link", "{origin}/site/fixtures/photos/e.png?size=orig"),
        ("link", "{origin}/site/fixtures/f.webp"),
        ("poster", "{origin}/site/fixtures/poster.jpg"),
        ("img", "{origin}/img/button.png"),
    ],
}


def expected(fixture: str, origin: str) -> list[tuple[str, str]]:
    """The exact ``(kind, url)`` list of a fixture page served at ``origin``."""
    return [(kind, url.replace("{origin}", origin)) for kind, url in EXPECTED[fixture]]


def page_html(path: str, other: str) -> str:
    """A fixture file's text as served, ``{{OTHER}}`` replaced by the ``other`` origin."""
    return (ROOT / path).read_text(encoding="utf-8").replace("{{OTHER}}", other)


def add_routes(app: web.Application, fw: FakeWeb) -> None:
    """Register ``/robots.txt``, the redirect and ``/site/...`` static pages."""

    async def robots(request: web.Request) -> web.Response:
        return _file_response("robots.txt", fw)

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound(REDIRECT_TO)

    async def site(request: web.Request) -> web.Response:
        return _file_response(request.match_info["path"], fw)

    from tests.fakeweb import hub

    hub.add_routes(app)
    app.router.add_get("/img/pg/{name:.+}", pg_image)
    app.router.add_get("/robots.txt", robots)
    app.router.add_get(REDIRECT_FROM, moved)
    app.router.add_get("/site/{path:.+}", site)


async def pg_image(request: web.Request) -> web.Response:
    """A real image for any ``/img/pg/`` name (``pg/gallery.html``'s pictures and copies)."""
    name = request.match_info["name"]
    fmt, media = PG_FORMATS.get(name.rsplit(".", 1)[-1].lower(), PG_FORMATS["jpg"])
    digits = re.findall(r"\d+", name)
    width = min(int(digits[-1]), 2000) if digits else 400
    seed = zlib.crc32(name.encode()) % 1_000_000
    body = images.make_image(seed, width, max(1, width * 3 // 4), fmt)
    return web.Response(body=body, content_type=media)


def _file_response(path: str, fw: FakeWeb) -> web.Response:
    file = (ROOT / path).resolve()
    if not file.is_relative_to(ROOT.resolve()) or not file.is_file():
        raise web.HTTPNotFound()
    content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
    text = page_html(path, f"http://localhost:{fw.port}")
    return web.Response(text=text, content_type=content_type, charset="utf-8")
