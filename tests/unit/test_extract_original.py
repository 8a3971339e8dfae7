"""What the original crawler listed (issue 19, item 4): every ``<img src>`` ending in .jpg,
.png or .gif, even those the extractor groups as copies or sets aside; read only when asked,
and at a cost in proportion to the page."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable

from selectolax.lexbor import LexborHTMLParser

from imgharvest.extract.original import original_srcs
from imgharvest.extract.page import extract_page, resolve

PAGE = "https://example.org/a/gallery.html"
HTML = """<title>t</title>
<picture><source srcset="/pg/p-1200.webp 1200w"><img src="/pg/picture-fallback.jpg"></picture>
<img src="/ui/blank.gif" data-src="/photos/real.jpg">
<img src="icon.PNG" width="16" height="16">
<img src="/photo.php?f=x.jpg"><img src="/cat.jpg?v=2"><img src="/cat.jpg?v=2">
<noscript><img src="/ns.jpg"></noscript>
<img src="/skip.webp"><img src="/skip.svg"><img src="data:image/gif;base64,R0lGOD.gif">
<img data-src="/only-lazy.jpg"><img src=""><img src="javascript:x.jpg"><a href="/link.jpg">l</a>
"""


def test_every_img_src_the_original_listed_once_in_page_order() -> None:
    page = extract_page(HTML, PAGE, img_srcs=True)
    assert page.img_srcs == [
        "https://example.org/pg/picture-fallback.jpg",  # grouped as a copy of the <source>
        "https://example.org/ui/blank.gif",  # a lazy loader's stand-in
        "https://example.org/a/icon.PNG",  # an icon
        "https://example.org/photo.php?f=x.jpg",  # the address ends in .jpg
        "https://example.org/cat.jpg?v=2",  # the path does
        "https://example.org/ns.jpg",
    ]
    listed = {u for ref in page.images for u in (ref.url, *ref.fallbacks)}
    assert "https://example.org/pg/picture-fallback.jpg" in listed  # a copy, not a picture
    assert "https://example.org/ui/blank.gif" not in listed


def test_only_read_when_asked_and_the_pictures_are_the_same() -> None:
    plain, asked = extract_page(HTML, PAGE), extract_page(HTML, PAGE, img_srcs=True)
    assert plain.img_srcs == [] and asked.img_srcs
    assert plain.images == asked.images and plain.links == asked.links


def _cpu(run: Callable[[], object]) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        run()
        return time.process_time() - start
    finally:
        gc.enable()


def _peak(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_hostile_megabyte_of_img_srcs() -> None:
    # the worst case for this list: nothing but distinct <img src> (one entry per 24 bytes)
    html = "".join(f'<img src="/i/{n:07d}.gif">' for n in range(1024 * 1024 // 24))
    whole = _cpu(lambda: extract_page(html, PAGE, img_srcs=True))
    nodes = list(LexborHTMLParser(html).root.traverse())  # type: ignore[union-attr]
    srcs: list[str] = []
    alone = _cpu(lambda: srcs.extend(original_srcs(nodes, PAGE, resolve)))
    peak = _peak(lambda: original_srcs(nodes, PAGE, resolve))
    assert len(srcs) == 1024 * 1024 // 24
    print(f"1 MiB of <img src>: extraction {whole:.2f} s CPU, of which the list {alone:.2f} s; "
          f"the list's traced peak {peak / 2**20:.1f} MiB")  # fmt: skip
    assert alone < whole / 2  # the list is a share of the parse, not a second parse
    assert peak < 16 * len(html)  # its URLs, no more
