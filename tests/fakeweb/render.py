"""Fake web pages that need a browser: images that exist only after script and scrolling,
a page whose resources point at forbidden addresses, one whose peer connections do, one that
opens 60 popups (and clicks 60 links and sends 5 forms to new windows), and a small site for
the render bench.

Image URLs in these pages are assembled by script, so no static reading can find them.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakeweb.server import FakeWeb

SITE_PAGES = 5
# What /render/lazy shows once rendered and scrolled (paths on the fake web).
LAZY_IMAGES = ("/img/io-1.jpg", "/img/io-2.jpg", "/img/io-3-large.jpg")
LAZY_BACKGROUND = "/img/bg-script.jpg"

LAZY_PAGE = """<!doctype html><html><head><title>Lazy gallery</title>
<style>.spacer{height:2500px} .slot{min-height:10px} #hero{height:200px}</style></head>
<body><h1>Scroll down</h1><div id="hero"></div>
<div class="spacer"></div><div class="slot" data-n="1"></div>
<div class="spacer"></div><div class="slot" data-n="2"></div>
<div class="spacer"></div><div class="slot" data-n="3"></div>
<script>
const dir = ["", "im" + "g", ""].join("/");
const seen = new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (!e.isIntersecting) continue;
    const n = e.target.dataset.n, img = document.createElement("img");
    if (n === "3") {
      img.srcset = dir + "io-3-small" + ".jpg 300w, " + dir + "io-3-large" + ".jpg 1200w";
      img.sizes = "100vw";
    } else {
      img.src = dir + "io-" + n + ".jpg";
    }
    e.target.appendChild(img);
    seen.unobserve(e.target);
  }
});
document.querySelectorAll(".slot").forEach((s) => seen.observe(s));
window.addEventListener("load", () => {
  document.getElementById("hero").style.backgroundImage = "url(" + dir + "bg-" + "script.jpg)";
});
</script></body></html>"""


ASSETS_PAGE = """<!doctype html><html><head><title>Assets</title>
<style>@font-face{font-family:F;src:url(/render/asset/font.woff2) format("woff2")}
body{font-family:F}</style></head><body><p>Text in a web font.</p>
<img src="/render/asset/picture.jpg">
<video src="/render/asset/movie.mp4" autoplay muted></video>
<audio src="/render/asset/sound.mp3" autoplay></audio></body></html>"""


def forbidden_page(target: str) -> str:
    """Every kind of resource a page can ask for, all pointing at ``target`` (host:port)."""
    t = html.escape(target, quote=True)
    return f"""<!doctype html><html><head><title>Forbidden resources</title>
<link rel="preconnect" href="http://{t}/"><link rel="dns-prefetch" href="http://{t}/">
<link rel="prefetch" href="http://{t}/prefetch">
<link rel="stylesheet" href="http://{t}/style.css"><script src="http://{t}/script.js"></script>
<style>body{{background-image:url(http://{t}/bg.jpg)}}</style></head>
<body><img src="http://{t}/img.jpg"><img src="/render/hop?to=http://{t}/hopped.jpg">
<img src="http://169.254.169.254/latest/meta-data/x.jpg"><iframe src="http://{t}/frame"></iframe>
<video src="http://{t}/movie.mp4" autoplay muted></video>
<script>
fetch("http://{t}/fetch").catch(() => {{}});
const x = new XMLHttpRequest(); x.open("GET", "http://{t}/xhr"); x.send();
navigator.sendBeacon && navigator.sendBeacon("http://{t}/beacon", "x");
try {{ new WebSocket("ws://{t}/ws"); }} catch (e) {{}}
new Image().src = "http://{t}/new-image.jpg";
</script></body></html>"""


def webrtc_page(stun: str, turn: str) -> str:
    """Peer connections whose ICE servers (STUN on ``stun``, TURN over UDP and TCP on ``turn``,
    both host:port) are forbidden addresses, gathering candidates at once; and one image from
    the page's own (allowed) host."""
    s, t = html.escape(stun, quote=True), html.escape(turn, quote=True)
    return f"""<!doctype html><html><head><title>WebRTC</title></head>
<body><img src="/img/rtc-allowed.jpg">
<script>
const servers = [
  {{urls: "stun:{s}"}},
  {{urls: ["turn:{t}?transport=udp", "turn:{t}?transport=tcp"], username: "u", credential: "p"}},
];
for (let i = 0; i < 4; i++) {{
  try {{
    const Peer = window.RTCPeerConnection || window.webkitRTCPeerConnection;
    const pc = new Peer({{iceServers: servers, iceCandidatePoolSize: 2}});
    pc.createDataChannel("d" + i);
    pc.createOffer().then((offer) => pc.setLocalDescription(offer)).catch(() => {{}});
  }} catch (e) {{}}
}}
</script></body></html>"""


POPUPS_PAGE = """<!doctype html><html><head><title>Popups</title></head>
<body><img src="/img/popup-own.jpg">
<script>
for (let i = 0; i < 60; i++) {
  const url = "/render/popup-target?n=" + i;
  try { window.open(url, "w" + i); } catch (e) {}
  const a = Object.assign(document.createElement("a"), {href: url + "&a", target: "_blank"});
  document.body.appendChild(a);
  a.click();
}
for (let i = 0; i < 5; i++) {
  const form = Object.assign(document.createElement("form"),
                             {action: "/render/popup-target", target: "f" + i});
  form.innerHTML = '<input name="n" value="' + (100 + i) + '">';
  document.body.appendChild(form);
  form.submit();
}
</script></body></html>"""


def site_page(n: int) -> str:
    """Page ``n`` of a small script-built site: three lazy images and links to every page."""
    links = "".join(f'<a href="/render/site/{i}">page {i}</a> ' for i in range(SITE_PAGES))
    slots = "".join(
        f'<div style="height:1500px"></div><div class="slot" data-k="{k}"></div>' for k in range(3)
    )
    return f"""<!doctype html><html><head><title>Site page {n}</title></head><body>
<nav>{links}</nav>{slots}
<script>
const io = new IntersectionObserver((entries) => {{
  for (const e of entries) if (e.isIntersecting) {{
    const img = document.createElement("img");
    img.src = "/im" + "g/site-{n}-" + e.target.dataset.k + ".jpg";
    e.target.appendChild(img); io.unobserve(e.target);
  }}
}});
document.querySelectorAll(".slot").forEach((s) => io.observe(s));
</script></body></html>"""


def add_routes(app: web.Application, fw: FakeWeb) -> None:
    """Register ``/render/...``."""

    async def lazy(request: web.Request) -> web.Response:
        return web.Response(text=LAZY_PAGE, content_type="text/html")

    async def forbidden(request: web.Request) -> web.Response:
        return web.Response(text=forbidden_page(request.query["target"]), content_type="text/html")

    async def hop(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def site(request: web.Request) -> web.Response:
        return web.Response(text=site_page(int(request.match_info["n"])), content_type="text/html")

    async def assets(request: web.Request) -> web.Response:
        return web.Response(text=ASSETS_PAGE, content_type="text/html")

    async def asset(request: web.Request) -> web.Response:
        return web.Response(body=b"\0" * 64, content_type="application/octet-stream")

    async def webrtc(request: web.Request) -> web.Response:
        page = webrtc_page(request.query["stun"], request.query["turn"])
        return web.Response(text=page, content_type="text/html")

    async def popups(request: web.Request) -> web.Response:
        return web.Response(text=POPUPS_PAGE, content_type="text/html")

    async def popup_target(request: web.Request) -> web.Response:
        n = int(request.query.get("n", "0"))
        body = f'<!doctype html><title>Popup {n}</title><img src="/img/popup-{n}.jpg">'
        return web.Response(text=body, content_type="text/html")

    app.router.add_get("/render/webrtc", webrtc)
    app.router.add_get("/render/popups", popups)
    app.router.add_get("/render/popup-target", popup_target)
    app.router.add_get("/render/assets", assets)
    app.router.add_get("/render/asset/{name}", asset)
    app.router.add_get("/render/lazy", lazy)
    app.router.add_get("/render/forbidden", forbidden)
    app.router.add_get("/render/hop", hop)
    app.router.add_get(r"/render/site/{n:\d+}", site)
