"""Raw option values (CLI, form, API) → a validated ``DatasetSpec`` and the list of classes.

Every problem is an ``InputError`` naming the option, so the CLI exits 2 and
the web answers 400 with the field.
"""

from __future__ import annotations

from pathlib import Path

from imgharvest import licences
from imgharvest.dataset.spec import ANIMATED, CONVERSIONS, FORMATS, DatasetSpec, QueryClass
from imgharvest.errors import InputError
from imgharvest.naming import file_stem

MAX_SIDE = 20_000
MAX_SHARD = 1_000_000
MAX_QUERIES = 1000
MAX_QUERY_LENGTH = 200


def build_spec(
    *,
    format: str = "zip",
    shard_size: int = 1000,
    max_side: int = 0,
    min_side: int = 0,
    max_aspect: float = 0.0,
    convert: str = "",
    quality: int = 90,
    animated: str = "keep",
    licence: str = "any",
    split: str = "",
) -> DatasetSpec:
    """The spec for these values, or ``InputError`` naming the first bad one."""
    return DatasetSpec(
        format=choice("format", format, FORMATS),
        shard_size=bounded("shard-size", shard_size, 1, MAX_SHARD),
        max_side=bounded("max-side", max_side, 0, MAX_SIDE),
        min_side=bounded("min-side", min_side, 0, MAX_SIDE),
        max_aspect=aspect(max_aspect),
        convert=choice("convert", convert, CONVERSIONS) if convert else "",
        quality=bounded("quality", quality, 1, 100),
        animated=choice("animated", animated, ANIMATED),
        licence=choice("licence", licence, licences.POLICIES),
        split=parse_split(split),
    )


def format_for(out: Path | None) -> str:
    """The format an output path implies when none is named: a ``.zip`` or a directory."""
    return "dir" if out is not None and out.suffix.lower() != ".zip" else "zip"


def choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` lower-cased when it is one of ``allowed``."""
    clean = value.strip().lower()
    if clean not in allowed:
        raise InputError(option, f"must be one of {', '.join(allowed)} (got {value[:20]!r})")
    return clean


def bounded(option: str, value: int, low: int, high: int) -> int:
    """``value`` when ``low <= value <= high``."""
    if not low <= value <= high:
        raise InputError(option, f"must be between {low} and {high} (got {value})")
    return value


def aspect(value: float) -> float:
    """A maximum aspect ratio (long side / short side): 0 for none, else at least 1."""
    if value != 0 and not 1 <= value <= 100:
        raise InputError("max-aspect", f"must be 0 (no limit) or between 1 and 100 (got {value})")
    return float(value)


def parse_split(text: str) -> tuple[int, ...]:
    """``80,10,10`` → ``(80, 10, 10)``: two or three whole percentages adding up to 100."""
    if not text.strip():
        return ()
    try:
        parts = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise InputError(
            "split", f"must be whole numbers like 80,10,10 (got {text[:30]!r})"
        ) from None
    if not 2 <= len(parts) <= 3 or min(parts) < 0 or sum(parts) != 100:
        raise InputError("split", "must be 2 or 3 non-negative percentages adding up to 100")
    return parts


def read_queries(path: Path) -> list[QueryClass]:
    """Classes from a file: one query a line, or ``name<TAB>query``; ``#`` lines are comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("queries", f"cannot read {path.name!r}: {exc}") from None
    return parse_queries(text)


def parse_queries(text: str) -> list[QueryClass]:
    """Classes from the text of a queries file; labels must be distinct once made folder-safe."""
    classes = [_query_line(line) for line in text.splitlines() if _meaningful(line)]
    if not classes:
        raise InputError("queries", "no queries given (one query a line)")
    if len(classes) > MAX_QUERIES:
        raise InputError("queries", f"at most {MAX_QUERIES} queries")
    labels = [c.label for c in classes]
    twice = next((label for label in labels if labels.count(label) > 1), None)
    if twice is not None:
        raise InputError("queries", f"two classes would share the folder {twice!r}")
    return classes


def single_class(query: str) -> list[QueryClass]:
    """The one class of a plain ``get QUERY``."""
    return parse_queries(query.replace("\t", " "))


def _meaningful(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _query_line(line: str) -> QueryClass:
    name, tab, query = line.partition("\t")
    query = " ".join((query if tab else name).split())
    if not query:
        raise InputError("queries", f"line {line.strip()[:40]!r} has a name but no query")
    if len(query) > MAX_QUERY_LENGTH:
        raise InputError("queries", f"a query is longer than {MAX_QUERY_LENGTH} characters")
    return QueryClass(file_stem(name if tab and name.strip() else query), query)
