"""Help that teaches: each option's words (its choices and default), each command's
examples, and the command class that shows no type placeholder (``<bool>``, ``<int>``)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from imgharvest.dataset.spec import ANIMATED, CONVERSIONS, FORMATS
from imgharvest.licences import POLICIES
from imgharvest.settings import Settings
from imgharvest.sources import MODULES

SEARCH_SOURCES = [name for name in MODULES if name != "pages"]
KEYED = ("flickr", "pexels", "pixabay", "unsplash")


def default_sources() -> str:
    """The SOURCES setting's default, as a comma list."""
    names: list[str] = Settings.model_fields["sources"].get_default(call_default_factory=True)
    return ",".join(names)


def _choices(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


COUNT = "How many images (no upper bound here; the web form's is MAX_IMAGES)."
SOURCES = (
    f"Sources to ask, in order, comma-separated: {_choices(SEARCH_SOURCES)} "
    f"({', '.join(KEYED)} need an API key). Default: the SOURCES setting "
    f"({default_sources()}); imgharvest sources says which can run."
)
OUT = "Where to write: a path ending in .zip (one file) or a folder. Default: QUERY.zip."
FORMATS_FILTER = "Keep only these image formats, comma-separated, e.g. jpeg,png. Default: any."
OVERWRITE = "Replace an existing output (never done without it)."
RESUME = "Continue an existing folder output: skip its images, add the missing ones."
TIMEOUT = "Stop after SECONDS, keeping what was found (exit 3). Default: no limit."
JSON = "Print one JSON summary on stdout, whatever happens (progress stays on stderr)."
QUERIES = "A file of queries, one a line (or NAME<TAB>QUERY): one class each."
FORMAT = (
    f"Output format: {_choices(FORMATS)}. Default: zip when -o ends in .zip (or is not "
    "given), else dir."
)
SHARD_SIZE = "webdataset: samples per tar shard."
MAX_SIDE = "Shrink images to fit PX on their longer side (0: keep their size)."
MIN_SIDE = "Skip images whose shorter side is under PX (0: any)."
MAX_ASPECT = "Skip images whose long:short side ratio exceeds this (0: any)."
CONVERT = f"Re-encode every image: {_choices(CONVERSIONS)}. Default: keep each one's format."
QUALITY = "JPEG/WebP quality when re-encoding, 1 to 100."
ANIMATED_HELP = f"Animated images: {_choices(ANIMATED)} (keep them, or the first frame only)."
LICENCE = (
    f"Licences to keep: {_choices(POLICIES)} (open: Creative Commons and public domain; "
    "commercial: commercial use allowed)."
)
SPLIT = "Train/val/test percentages, e.g. 80,10,10 or 90,10 (stable per image). Default: none."

EXAMPLES = {
    "imgharvest": (
        'imgharvest get "red fox" -n 100 -o foxes.zip',
        "imgharvest sources",
        "imgharvest serve",
    ),
    "jobs": ("imgharvest jobs list", "imgharvest jobs inspect JOB_ID"),
    "db": ("imgharvest db upgrade", "imgharvest db check"),
    "get": (
        'imgharvest get "red fox" -n 100 -o foxes.zip',
        'imgharvest get "red fox" -n 50 -s openverse,wikimedia --min-width 800 -o foxes/',
        "imgharvest get -Q classes.txt -n 200 --format imagefolder -o animals/",
    ),
    "crawl": (
        "imgharvest crawl https://example.org/gallery --depth 1",
        "imgharvest crawl pages.txt --download -n 200 -o pages.zip",
        "imgharvest crawl https://example.org/feed --render",
    ),
    "fetch": (
        "imgharvest fetch urls.txt -o images/",
        "imgharvest fetch https://example.org/a.jpg https://example.org/b.png -o two.zip",
        "cat urls.txt | imgharvest fetch - -o images/ --json",
    ),
    "sources": (
        "imgharvest sources",
        'imgharvest sources --check "red fox"',
        "imgharvest sources --json",
    ),
    "serve": (
        "imgharvest serve",
        "imgharvest serve --port 8020",
        "imgharvest serve --web-only --host 0.0.0.0",
    ),
    "worker": ("imgharvest worker", "IMGHARVEST_WORKERS=8 imgharvest worker"),
    "list": ("imgharvest jobs list", "imgharvest jobs list --status failed --limit 10"),
    "inspect": ("imgharvest jobs inspect JOB_ID", "imgharvest jobs inspect JOB_ID -q"),
    "upgrade": ("imgharvest db upgrade",),
    "check": ("imgharvest db check",),
}


def examples(command: str) -> str:
    """The epilog of ``command``'s help: its examples, one a line."""
    lines = "\n".join(f"  {escape(line)}" for line in EXAMPLES[command])
    return f"Examples:\n{lines}"


def _untyped(params: list[Any]) -> list[Any]:
    """``params`` showing no type placeholder (an explicit metavar such as N stays)."""
    for param in params:
        shown = getattr(param, "display_type_rich", None)
        if shown is not None and not getattr(param, "_untyped", False):
            param.display_type_rich = _without_placeholder(shown)
            param._untyped = True
    return params


def _without_placeholder(shown: Any) -> Any:
    def display(ctx: Any) -> str | None:
        text = shown(ctx)
        return None if text is None or str(text).startswith("<") else text

    return display


class Command(TyperCommand):
    """A command whose help shows no ``<bool>``, ``<int>`` or ``<str>``."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _untyped(super().get_params(ctx))


class Group(TyperGroup):
    """A group of such commands, itself shown the same way."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _untyped(super().get_params(ctx))
