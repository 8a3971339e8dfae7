"""The ``imgharvest`` command line: thin commands that parse, call the engine, and report.

Shared options live in ``options``, help texts in ``helptext``; what ``get`` does is
``imgharvest.oneshot`` (the Python API's code path too); what is said at the end is
``outcome`` and ``dataset``, the ``--json`` object ``jsonout``, tables ``report``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from imgharvest.cli import exit as cli_exit
from imgharvest.cli import helptext as say
from imgharvest.cli import jsonout as cli_json
from imgharvest.cli import options as cli_options
from imgharvest.cli import urlinput
from imgharvest.cli.exit import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SHORT,
)
from imgharvest.cli.helptext import Command, Group, examples
from imgharvest.cli.options import Config, Quiet, Verbose, Version, command_line
from imgharvest.cli.outcome import finish
from imgharvest.cli.report import print_links, progress_bar
from imgharvest.cli.service import register as register_service_commands
from imgharvest.cli.sources import register as register_sources_command
from imgharvest.errors import ConfigError, ImgHarvestError, InputError
from imgharvest.events import EventList
from imgharvest.oneshot.get import DEFAULT_COUNT, GetOptions, execute, prepare, wanted
from imgharvest.oneshot.output import plan
from imgharvest.oneshot.runner import Job, RunArgs, run_to
from imgharvest.pipeline.listing import listed
from imgharvest.pipeline.loop import run_async
from imgharvest.pipeline.result import HarvestResult
from imgharvest.pipeline.run import crawl, harvest_links
from imgharvest.settings import Settings
from imgharvest.sources.base import Candidate, SourceOptions

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_SHORT", "app"]

app = typer.Typer(no_args_is_help=True, cls=Group, epilog=examples("imgharvest"))
err = Console(stderr=True)

Overwrite = Annotated[bool, typer.Option("--overwrite", help=say.OVERWRITE)]
Resume = Annotated[bool, typer.Option("--resume", help=say.RESUME)]
Timeout = Annotated[
    float | None, typer.Option("--timeout", min=0.1, metavar="SECONDS", help=say.TIMEOUT)
]
Json = Annotated[bool, typer.Option("--json", help=say.JSON)]
Out = Annotated[str | None, typer.Option("-o", "--out", metavar="PATH", help=say.OUT)]
MinWidth = Annotated[int, typer.Option(metavar="PX", help="Minimum width in pixels (0: any).")]
MinHeight = Annotated[int, typer.Option(metavar="PX", help="Minimum height in pixels (0: any).")]


@app.callback()
def root(
    version: Version = False,
    config: Config = None,
    quiet: Quiet = False,
    verbose: Verbose = 0,
) -> None:
    """Harvest N verified, full-size, de-duplicated images: from the command line (no server
    needed), or as a service with a web form and a REST API.

    Settings come from IMGHARVEST_* environment variables, then .env, then a TOML file
    (--config FILE, else ./imgharvest.toml), then the user's file
    ($XDG_CONFIG_HOME/imgharvest/config.toml, else ~/.config/imgharvest/config.toml), then
    the defaults.
    """
    cli_options.reset(config, quiet, verbose)


@app.command(cls=Command, epilog=examples("get"))
def get(
    query: Annotated[
        str | None, typer.Argument(metavar="QUERY", help="What to search for.")
    ] = None,
    n: Annotated[int, typer.Option("-n", "--count", metavar="N", help=say.COUNT)] = DEFAULT_COUNT,
    sources: Annotated[str, typer.Option("-s", "--sources", metavar="LIST", help=say.SOURCES)] = "",
    out: Out = None,
    min_width: MinWidth = 0,
    min_height: MinHeight = 0,
    formats: Annotated[str, typer.Option(metavar="LIST", help=say.FORMATS_FILTER)] = "",
    overwrite: Overwrite = False,
    resume: Resume = False,
    timeout: Timeout = None,
    as_json: Json = False,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
    queries: Annotated[
        Path | None, typer.Option("-Q", "--queries", metavar="FILE", help=say.QUERIES)
    ] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help=say.FORMAT)] = "",
    shard_size: Annotated[int, typer.Option(metavar="N", help=say.SHARD_SIZE)] = 1000,
    max_side: Annotated[int, typer.Option(metavar="PX", help=say.MAX_SIDE)] = 0,
    min_side: Annotated[int, typer.Option(metavar="PX", help=say.MIN_SIDE)] = 0,
    max_aspect: Annotated[float, typer.Option(metavar="RATIO", help=say.MAX_ASPECT)] = 0.0,
    convert: Annotated[str, typer.Option(metavar="FORMAT", help=say.CONVERT)] = "",
    quality: Annotated[int, typer.Option(metavar="1-100", help=say.QUALITY)] = 90,
    animated: Annotated[str, typer.Option(metavar="HOW", help=say.ANIMATED_HELP)] = "keep",
    licence: Annotated[
        str, typer.Option("--licence", "--license", metavar="WHICH", help=say.LICENCE)
    ] = "any",
    split: Annotated[str, typer.Option(metavar="PERCENTS", help=say.SPLIT)] = "",
) -> None:
    """Harvest N images of QUERY (or of each query in -Q FILE) into a zip, a folder or a
    training dataset (no server needed)."""
    with _guarded(as_json, wanted=max(n, 0)) as settings:
        prepared = prepare(GetOptions(
            query=query, count=n, output=out, sources=sources, min_width=min_width,
            min_height=min_height, formats=formats, overwrite=overwrite, resume=resume,
            timeout=timeout, queries=queries, format=fmt, shard_size=shard_size,
            max_side=max_side, min_side=min_side, max_aspect=max_aspect, convert=convert,
            quality=quality, animated=animated, licence=licence, split=split,
            command=command_line(),
        ))  # fmt: skip
        with progress_bar(wanted(prepared)) as bar:
            finished = execute(prepared, settings, bar.update)
        raise typer.Exit(finish(finished, as_json))


@app.command("crawl", cls=Command, epilog=examples("crawl"))
def crawl_cmd(
    targets: Annotated[
        list[str],
        typer.Argument(metavar="URL|FILE|-", help="Page URLs, files of URLs, or - (stdin)."),
    ],
    depth: Annotated[int, typer.Option(metavar="N", help="Follow same-site links this deep.")] = 0,
    max_pages: Annotated[int, typer.Option(metavar="N", help="Stop after this many pages.")] = 50,
    download: Annotated[bool, typer.Option(help="Also download the images.")] = False,
    show_links: Annotated[
        bool, typer.Option("--print-links", help="With --download: also print the links.")
    ] = False,
    n: Annotated[
        int, typer.Option("-n", "--count", metavar="N", help="With --download: at most N (0: all).")
    ] = 0,
    out: Annotated[
        str | None,
        typer.Option("-o", "--out", metavar="PATH", help="With --download. Default: images.zip."),
    ] = None,
    render: Annotated[bool, typer.Option(help="Load each page in Chromium first.")] = False,
    overwrite: Overwrite = False,
    as_json: Json = False,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """List every image link on the given pages (a picture's other copies after it, each with
    a tab and the picture's URL); with --download, fetch one copy of each picture."""
    with _guarded(as_json) as settings:
        urls = _read_targets(targets)
        output = plan(out or "images.zip", overwrite=overwrite) if download else None
        options = SourceOptions(depth=max(0, depth), max_pages=max(1, max_pages), render=render)
        started = time.monotonic()
        links = run_async(crawl(urls, settings, events=EventList(), options=options))
        if as_json and output is None:
            cli_json.emit(cli_json.links(listed(links, set()), time.monotonic() - started))
        elif not as_json and (show_links or output is None):
            print_links(listed(links, set()))
        if output is not None:
            wanted = min(n, len(links)) if n > 0 else len(links)  # -n is "at most N"
            job = Job(output, "images", wanted, command_line())
            raise typer.Exit(_download(links, job, settings, as_json))


@app.command("fetch", cls=Command, epilog=examples("fetch"))
def fetch_cmd(
    targets: Annotated[
        list[str],
        typer.Argument(
            metavar="URL|FILE|-", help="Image URLs, files of URLs (one a line), or - (stdin)."
        ),
    ],
    out: Annotated[
        str, typer.Option("-o", "--out", metavar="PATH", help="A folder or a .zip.")
    ] = "images",
    overwrite: Overwrite = False,
    resume: Resume = False,
    timeout: Timeout = None,
    as_json: Json = False,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """Download image URLs: verified, de-duplicated, with a manifest."""
    with _guarded(as_json) as settings:
        links = urlinput.read_targets(targets)
        output = plan(out, overwrite=overwrite, resume=resume)
        job = Job(output, "images", len(links), command_line(), timeout)
        raise typer.Exit(_download(links, job, settings, as_json))


def _download(links: list[Candidate], job: Job, settings: Settings, as_json: bool) -> int:
    if not links:
        err.print("[yellow]no image links to download: nothing written[/]")
        if as_json:
            cli_json.emit(cli_json.summary(None, None, 0.0, status="short"))
        return EXIT_SHORT

    def run(a: RunArgs) -> Awaitable[HarvestResult]:
        return harvest_links(links, a.count, settings, a.workdir, events=a.events,
                             progress=a.progress, seed=a.seed, on_stop=a.on_stop)  # fmt: skip

    with progress_bar(job.wanted - job.earlier) as bar:
        finished = run_to(job, run, bar.update)
    return finish(finished, as_json)


@contextmanager
def _guarded(as_json: bool = False, wanted: int = 0) -> Iterator[Settings]:
    """Settings for a command; turns bad input, job failures and Ctrl-C into one line and an
    exit code (with ``--json``, the one object says it too)."""
    cli_options.state.ends_fast = True  # every exit below comes after the output is closed
    try:
        with cli_options.cli_logs():
            yield cli_options.settings()
    except (InputError, ConfigError) as exc:
        _fail("error", str(exc), "invalid", as_json, wanted)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ImgHarvestError as exc:  # JobError and the rest
        _fail("failed", str(exc), "failed", as_json, wanted)
        raise typer.Exit(EXIT_FAILED) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _fail("error", f"{where}{exc.strerror or exc}", "invalid", as_json, wanted)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        if as_json:
            cli_json.emit(cli_json.failure("interrupted", "interrupted", wanted))
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _fail(label: str, message: str, status: str, as_json: bool, wanted: int) -> None:
    err.print(f"[red]{label}:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if as_json:
        cli_json.emit(cli_json.failure(status, message, wanted))


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
