"""The ``imgharvest`` command line: thin commands that parse, call the engine, and report.

Shared options live in ``options``, output checks in ``output``, running a harvest
in ``harvest``, the ``--json`` summary in ``jsonout``, tables in ``report``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from imgharvest.cli import dataset as dscommand
from imgharvest.cli import exit as cli_exit
from imgharvest.cli import jsonout as cli_json
from imgharvest.cli import options as cli_options
from imgharvest.cli import urlinput
from imgharvest.cli.harvest import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SHORT,
    Job,
    RunArgs,
    run_to,
)
from imgharvest.cli.options import Config, Quiet, Verbose, Version
from imgharvest.cli.output import plan
from imgharvest.cli.report import print_links
from imgharvest.cli.service import register as register_service_commands
from imgharvest.cli.sources import register as register_sources_command
from imgharvest.dataset import help as dshelp
from imgharvest.dataset import options as dsopts
from imgharvest.errors import ConfigError, ImgHarvestError, InputError
from imgharvest.events import EventList
from imgharvest.naming import file_stem
from imgharvest.pipeline.loop import run_async
from imgharvest.pipeline.records import Filters
from imgharvest.pipeline.result import HarvestResult
from imgharvest.pipeline.run import HarvestSpec, crawl, harvest, harvest_links
from imgharvest.pipeline.verify import normalise_formats, supported_formats
from imgharvest.settings import Settings
from imgharvest.sources.base import Candidate, SourceOptions

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_SHORT", "app"]

app = typer.Typer(help="Harvest N verified, full-size, de-duplicated images.", no_args_is_help=True)
err = Console(stderr=True)

Overwrite = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output.")]
Resume = Annotated[
    bool, typer.Option("--resume", help="Continue an existing folder output, skipping its images.")
]
Timeout = Annotated[
    float | None,
    typer.Option("--timeout", min=0.1, help="Stop after SECONDS, keeping what was found."),
]
Json = Annotated[
    bool, typer.Option("--json", help="One JSON summary on stdout (progress stays on stderr).")
]


@app.callback()
def root(
    version: Version = False,
    config: Config = None,
    quiet: Quiet = False,
    verbose: Verbose = 0,
) -> None:
    """Harvest N verified, full-size, de-duplicated images.

    Settings come from IMGHARVEST_* environment variables, then the TOML config file
    (--config, or ./imgharvest.toml), then defaults.
    """
    cli_options.reset(config, quiet, verbose)


@app.command()
def get(
    query: Annotated[str | None, typer.Argument(help="What to search for.")] = None,
    n: Annotated[int, typer.Option("-n", "--count", help="How many images.")] = 20,
    sources: Annotated[str, typer.Option("-s", "--sources", help="Comma list.")] = "",
    out: Annotated[Path | None, typer.Option("-o", "--out", help="out.zip or a DIR.")] = None,
    min_width: Annotated[int, typer.Option(help="Minimum width in pixels.")] = 0,
    min_height: Annotated[int, typer.Option(help="Minimum height in pixels.")] = 0,
    formats: Annotated[str, typer.Option(help="Allowed formats, e.g. jpeg,png.")] = "",
    overwrite: Overwrite = False,
    resume: Resume = False,
    timeout: Timeout = None,
    as_json: Json = False,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
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
            dscommand.refuse(resume=resume, as_json=as_json, timeout=timeout)
            request = dscommand.GetRequest(query, queries, base, out, overwrite)
            built = dscommand.run_get(request, dataset, settings)
            raise typer.Exit(EXIT_SHORT if built.short else EXIT_OK)
        spec = replace(base, query=_require_text("query", query or ""))
        dest = out or Path(f"{file_stem(spec.query)}.zip")
        output = plan(dest, overwrite=overwrite, resume=resume)
        job = Job(output, spec.query, spec.count, as_json, timeout)

        def run(a: RunArgs) -> Awaitable[HarvestResult]:
            one = replace(spec, count=a.count)  # a resumed run asks only for what is missing
            return harvest(one, settings, a.workdir, events=a.events, progress=a.progress,
                           seed=a.seed, on_stop=a.on_stop)  # fmt: skip

        raise typer.Exit(run_to(job, run))


@app.command("crawl")
def crawl_cmd(
    targets: Annotated[list[str], typer.Argument(help="Page URLs, files of URLs, or - (stdin).")],
    depth: Annotated[int, typer.Option(help="Follow same-site links this deep.")] = 0,
    max_pages: Annotated[int, typer.Option(help="Stop after this many pages.")] = 50,
    download: Annotated[bool, typer.Option(help="Also download the images.")] = False,
    show_links: Annotated[
        bool, typer.Option("--print-links", help="With --download: also print the links.")
    ] = False,
    n: Annotated[int, typer.Option("-n", "--count", help="With --download: at most N.")] = 0,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="With --download.")] = None,
    render: Annotated[bool, typer.Option(help="Load each page in Chromium first.")] = False,
    overwrite: Overwrite = False,
    as_json: Json = False,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """List every image link on the given pages; with --download, fetch them too."""
    with _guarded() as settings:
        urls = _read_targets(targets)
        output = plan(out or Path("images.zip"), overwrite=overwrite) if download else None
        options = SourceOptions(depth=max(0, depth), max_pages=max(1, max_pages), render=render)
        started = time.monotonic()
        links = run_async(crawl(urls, settings, events=EventList(), options=options))
        if as_json and output is None:
            cli_json.emit(cli_json.links(links, time.monotonic() - started))
        elif not as_json and (show_links or output is None):
            print_links(links)
        if output is not None:
            job = Job(output, "images", n or len(links), as_json)
            raise typer.Exit(_download(links, job, settings))


@app.command("fetch")
def fetch_cmd(
    targets: Annotated[
        list[str], typer.Argument(help="Image URLs, files of URLs (one a line), or - (stdin).")
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Directory or .zip.")] = Path("images"),
    overwrite: Overwrite = False,
    resume: Resume = False,
    timeout: Timeout = None,
    as_json: Json = False,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """Download image URLs: verified, de-duplicated, with a manifest."""
    with _guarded() as settings:
        links = urlinput.read_targets(targets)
        output = plan(out, overwrite=overwrite, resume=resume)
        job = Job(output, "images", len(links), as_json, timeout)
        raise typer.Exit(_download(links, job, settings))


def _download(links: list[Candidate], job: Job, settings: Settings) -> int:
    if not links:
        err.print("[yellow]no image links to download[/]")
        return EXIT_SHORT

    def run(a: RunArgs) -> Awaitable[HarvestResult]:
        return harvest_links(links, a.count, settings, a.workdir, events=a.events,
                             progress=a.progress, seed=a.seed, on_stop=a.on_stop)  # fmt: skip

    return run_to(job, run)


@contextmanager
def _guarded() -> Iterator[Settings]:
    """Settings for a command; turns bad input, job failures and Ctrl-C into clear exits."""
    cli_options.show_cli_logs()
    cli_options.state.ends_fast = True  # every exit below comes after the output is closed
    try:
        yield cli_options.settings()
    except (InputError, ConfigError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ImgHarvestError as exc:  # JobError and the rest
        err.print(f"[red]failed:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_FAILED) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        why = escape(f"{where}{exc.strerror or exc}")
        err.print(f"[red]error:[/] {why}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_INTERRUPTED) from None


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
    return Filters(min_width, min_height, _check_formats(_split(formats)))


def _check_formats(names: tuple[str, ...]) -> frozenset[str]:
    wanted, known = normalise_formats(set(names)), supported_formats()
    unknown = sorted(wanted - known)
    if unknown:
        choices = ", ".join(sorted(f.lower() for f in known))
        raise InputError("formats", f"unknown format {', '.join(unknown)} (choose from {choices})")
    return wanted


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
    try:
        app()
    except SystemExit as exc:
        cli_exit.leave(exc)
