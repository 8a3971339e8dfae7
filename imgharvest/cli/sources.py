"""``imgharvest sources [--check QUERY]``: which sources can run, and whether they answer now."""

from __future__ import annotations

from typing import Annotated

import typer

from imgharvest.cli import options as cli_options
from imgharvest.cli.options import Quiet, Verbose
from imgharvest.errors import ConfigError
from imgharvest.pipeline.loop import run_async
from imgharvest.service.source_health import (
    SourceCheck,
    SourceInfo,
    browser_status,
    check_all,
    describe,
)
from imgharvest.settings import Settings

EXIT_OK, EXIT_FAILING, EXIT_BAD_INPUT = 0, 1, 2
MAX_QUERY = 200


def sources(
    check: Annotated[
        str | None,
        typer.Option("--check", metavar="QUERY", help="Ask each available source for one page."),
    ] = None,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """List every source (available or why not, base URL); --check asks each one now."""
    settings = _settings()
    if check is None:
        _print_list(describe(settings), browser_status(settings))
        return
    query = check.strip()
    if not query or len(query) > MAX_QUERY:
        typer.echo(f"error: --check: give a query of 1 to {MAX_QUERY} characters", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    results = run_async(check_all(settings, query))
    _print_checks(results)
    failing = [r.name for r in results if r.failing]
    if failing:
        typer.echo(f"blocked or broken: {', '.join(failing)}", err=True)
        raise typer.Exit(EXIT_FAILING)


def _settings() -> Settings:
    try:
        return cli_options.settings()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _print_list(infos: list[SourceInfo], browser: str | None) -> None:
    # One source per line, never wrapped: scripts grep this.
    typer.echo("source\tavailable\tbase_url\tnote")
    for info in infos:
        why = info.reason or ""
        note = "; ".join(part for part in (why, info.note or "") if part)
        state = "yes" if info.available else "no"
        typer.echo(f"{info.name}\t{state}\t{info.base_url or '-'}\t{note}")
    typer.echo(f"browser: {'available' if browser is None else 'unavailable: ' + browser}")


def _print_checks(results: list[SourceCheck]) -> None:
    typer.echo("source\tstatus\tcount\tseconds\tfirst_url_or_error")
    for r in results:
        detail = r.first_url or r.error or ""
        typer.echo(f"{r.name}\t{r.status}\t{r.count}\t{r.seconds:.1f}\t{detail}")


def register(app: typer.Typer) -> None:
    """Add ``sources`` to the ``imgharvest`` CLI."""
    app.command("sources")(sources)
