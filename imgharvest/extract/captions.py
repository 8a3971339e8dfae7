"""Figure captions: the ``<figcaption>`` text of each image inside a ``<figure>``, by URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from selectolax.lexbor import LexborHTMLParser, LexborNode

from imgharvest.extract.attrs import parse_srcset

Resolver = Callable[[str, str], str | None]


def figure_captions(tree: LexborHTMLParser, base: str, resolve: Resolver) -> dict[str, str]:
    """Absolute image URL → caption of the innermost ``<figure>`` holding that image."""
    captions: dict[str, str] = {}
    for figure in reversed(tree.css("figure")):  # innermost first: it names its own images
        caption = figure.css_first("figcaption")
        text = " ".join(caption.text().split()) if caption is not None else ""
        if not text:
            continue
        for node in figure.css("img, source"):
            for value in _urls(node):
                url = resolve(value, base)
                if url is not None:
                    captions.setdefault(url, text)
    return captions


def _urls(node: LexborNode) -> Iterator[str]:
    """Every URL an ``<img>``/``<source>`` names: ``src``, srcsets, lazy loaders' ``data-*``."""
    for name, value in node.attributes.items():
        if not value:
            continue
        if name.endswith("srcset"):
            yield from (url for url, _ in parse_srcset(value))
        elif name == "src" or name.startswith("data-"):
            yield value
