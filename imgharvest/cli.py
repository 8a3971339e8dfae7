"""The ``imgharvest`` command line: thin commands that parse, call the engine, and report."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from imgharvest.cli_report import ProgressBar, print_links, print_summary
from imgharvest.cli_service import register as register_service_commands
from imgharvest.cli_sources import register as register_sources_command
from imgharvest.dataset import command as dscommand
from imgharvest.dataset import help as dshelp
from imgharvest.dataset import options as dsopts
from imgharvest.errors import ConfigError, ImgHarvestError, InputError, JobError
from imgharvest.events import EventList
from imgharvest.loop import run_async
from imgharvest.naming import slugify
from imgharvest.pipeline import package
from imgharvest.pipeline.records import Filters
from imgharvest.pipeline.result import HarvestResult
from imgharvest.pipeline.run import HarvestSpec, crawl, harvest, harvest_links
from imgharvest.settings import Settings, load_settings
from imgharvest.sources.base import Candidate, SourceOptions

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_SHORT = 0, 1, 2, 3

app = typer.Typer(help="Harvest N verified, full-size, de-duplicated images.", no_args_is_help=True)
err = Console(stderr=True)


@app.command()
def get(
    query: Annotated[str | None, typer.Argument(help="What to search for.")] = None,
    n: Annotated[int, typer.Option("-n", "--count", help="How many images.")] = 20,
    sources: Annotated[str, typer.Option("-s", "--sources", help="Comma list.")] = "",
    out: Annotated[Path | None, typer.Option("-o", "--out", help="out.zip or a DIR.")] = None,
    min_width: Annotated[int, typer.Option(help="Minimum width in pixels.")] = 0,
    min_height: Annotated[int, typer.Option(help="Minimum height in pixels.")] = 0,
    formats: Annotated[str, typer.Option(help="Allowed formats, e.g. jpeg,png.")] = "",
    queries: Annotated[Path | None, typer.Option("-Q", "--queries", help=dshelp.QUERIES)] = None,
    fmt: Annotated[str, typer.Option("--format", help=dshelp.FORMAT)] = "",
    shard_size: Annotated[int, typer.Option(help=dshelp.SHARD_SIZE)] = 1000,
    max_side: Annotated[int, typer.Option(help=dshelp.MAX_SIDE)] = 0,
    min_side: Annotated[int, typer.Option(help=dshelp.MIN_SIDE)] = 0,
    max_aspect: Annotated[float, typer.Option(help=dshelp.MAX_ASPECT)] = 0.0,
    convert: Annotated[str, typer.Option(help=dshelp.CONVERT)] = "",
    quality: Annotated[int, typer.Option(help=dshelp.QUALITY)] = 90,
    animated: Annotated[str, typer.Option(help=dshelp.ANIMATED)] = "keep",
    licence: Annotated[str, typer.Option("--licence", "--license", help=dshelp.LICENCE)] = "any",
    split: Annotated[str, typer.Option(help=dshelp.SPLIT)] = "",
) -> None:
    """Harvest N images of QUERY (or of each query in -Q FILE) into a zip, a directory or a
    training dataset (no server needed)."""
    with _guarded() as settings:
        dataset = dsopts.build_spec(
            format=fmt or dsopts.format_for(out), shard_size=shard_size, max_side=max_side,
            min_side=min_side, max_aspect=max_aspect, convert=convert, quality=quality,
            animated=animated, licence=licence, split=split,
        )  # fmt: skip
        base = HarvestSpec(
            query=query or "",
            count=_check_count(n, settings),
            sources=_split(sources),
            filters=_filters(min_width, min_height, formats),
        )
        if dscommand.wanted(queries, fmt, dataset):
            built = dscommand.run_get(
                dscommand.GetRequest(query, queries, base, out), dataset, settings
            )
            raise typer.Exit(EXIT_SHORT if built.short else EXIT_OK)
        spec = replace(base, query=_require_text("query", query or ""))
        dest = out or Path(f"{slugify(spec.query)}.zip")
        result = _harvest_to(
            dest,
            spec.query,
            spec.count,
            lambda w, ev, bar: harvest(spec, settings, w, events=ev, progress=bar.update),
        )
        raise typer.Exit(_exit_code(result))


@app.command("crawl")
def crawl_cmd(
    targets: Annotated[list[str], typer.Argument(help="Page URLs, or files of URLs.")],
    depth: Annotated[int, typer.Option(help="Follow same-site links this deep.")] = 0,
    max_pages: Annotated[int, typer.Option(help="Stop after this many pages.")] = 50,
    download: Annotated[bool, typer.Option(help="Also download the images.")] = False,
    n: Annotated[int, typer.Option("-n", "--count", help="With --download: at most N.")] = 0,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="With --download.")] = None,
    render: Annotated[bool, typer.Option(help="Load each page in Chromium first.")] = False,
) -> None:
    """List every image link on the given pages; with --download, fetch them too."""
    with _guarded() as settings:
        urls = _read_targets(targets)
        options = SourceOptions(depth=max(0, depth), max_pages=max(1, max_pages), render=render)
        links = run_async(crawl(urls, settings, events=EventList(), options=options))
        print_links(links)
        if download:
            raise typer.Exit(_download(links, n or len(links), out, settings))


@app.command("fetch")
def fetch_cmd(
    urls_file: Annotated[Path, typer.Argument(help="A file of image URLs, one per line.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Directory or .zip.")] = Path("images"),
) -> None:
    """Download a list of image URLs: verified, de-duplicated, with a manifest."""
    with _guarded() as settings:
        urls = _read_targets([str(urls_file)])
        links = [Candidate(url=u, source="links") for u in urls]
        raise typer.Exit(_download(links, len(links), out, settings))


def _download(links: list[Candidate], count: int, out: Path | None, settings: Settings) -> int:
    if not links:
        err.print("[yellow]no image links to download[/]")
        return EXIT_SHORT
    dest = out or Path("images.zip")
    result = _harvest_to(
        dest,
        "images",
        count,
        lambda w, ev, bar: harvest_links(links, count, settings, w, events=ev, progress=bar.update),
    )
    return _exit_code(result)


Runner = Callable[[Path, EventList, ProgressBar], Awaitable[HarvestResult]]


def _harvest_to(dest: Path, slug: str, count: int, run: Runner) -> HarvestResult:
    events = EventList()
    # the work directory sits beside the destination, so kept files can be moved, not copied
    dest.absolute().parent.mkdir(parents=True, exist_ok=True)
    workroot = dest.absolute().parent
    with (
        tempfile.TemporaryDirectory(prefix=".imgharvest-", dir=workroot) as work,
        ProgressBar(count) as bar,
    ):
        result = run_async(_awaited(run(Path(work), events, bar)))
        _write(result, dest, slug)
    print_summary(result, dest, events)
    return result


async def _awaited(pending: Awaitable[HarvestResult]) -> HarvestResult:
    return await pending


def _write(result: HarvestResult, dest: Path, slug: str) -> None:
    if dest.suffix.lower() == ".zip":
        result.archive = package.write_zip(result.records, dest, slug=slugify(slug))
    else:
        result.archive = package.write_dir(result.records, dest, slug=slugify(slug), move=True)


@contextmanager
def _guarded() -> Iterator[Settings]:
    """Settings for a command; turns bad input and job failures into clear exits."""
    try:
        yield load_settings()
    except (InputError, ConfigError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except JobError as exc:
        err.print(f"[red]failed:[/] {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    except ImgHarvestError as exc:
        err.print(f"[red]failed:[/] {exc}")
        raise typer.Exit(EXIT_FAILED) from None


def _exit_code(result: HarvestResult) -> int:
    if result.short:
        err.print(f"[yellow]short:[/] {result.reason}")
        return EXIT_SHORT
    return EXIT_OK


def _check_count(n: int, settings: Settings) -> int:
    if n < 1:
        raise InputError("count", "must be greater than 0")
    if n > settings.max_images:
        raise InputError("count", f"cannot be greater than {settings.max_images}")
    return n


def _require_text(field: str, value: str) -> str:
    if not value.strip():
        raise InputError(field, "is required")
    return value.strip()


def _split(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(",") if s.strip())


def _filters(min_width: int, min_height: int, formats: str) -> Filters:
    if min_width < 0 or min_height < 0:
        raise InputError("min-width/min-height", "must not be negative")
    return Filters(min_width, min_height, frozenset(f.upper() for f in _split(formats)))


def _read_targets(targets: list[str]) -> list[str]:
    """URLs given directly, or read from files (one per line, # comments), or '-' for stdin."""
    urls: list[str] = []
    for target in targets:
        if target.startswith(("http://", "https://")):
            urls.append(target)
        elif target == "-":
            urls += _lines(sys.stdin.read())
        elif Path(target).is_file():
            urls += _lines(Path(target).read_text(encoding="utf-8"))
        else:
            raise InputError("urls", f"{target!r} is neither an http(s) URL nor a file")
    if not urls:
        raise InputError("urls", "no URLs given")
    return urls


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


register_service_commands(app)
register_sources_command(app)


def main() -> None:
    """Entry point of the ``imgharvest`` script."""
    app()
