"""``imgharvest sources [--check QUERY] [--json]``: which sources can run, and whether they
answer now, as an aligned table (one source a line, never wrapped: scripts grep it) or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated

import typer

from imgharvest.cli import options as cli_options
from imgharvest.cli.helptext import Command, examples
from imgharvest.cli.options import Quiet, Verbose
from imgharvest.errors import ConfigError
from imgharvest.pipeline.loop import run_async
from imgharvest.service.source_health import (
    FAILING,
    SourceCheck,
    SourceInfo,
    browser_status,
    check_all,
    describe,
    report,
)
from imgharvest.settings import Settings

EXIT_OK, EXIT_FAILING, EXIT_BAD_INPUT = 0, 1, 2
MAX_QUERY = 200
GAP = "  "


def sources(
    check: Annotated[
        str | None,
        typer.Option("--check", metavar="QUERY", help="Ask each available source for one page."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """List every source (available or why not, base URL); --check asks each one now and
    exits 1 if one is blocked, broken or unreachable."""
    settings = _settings()
    query = None if check is None else _query(check)
    if as_json:
        answer = run_async(report(settings, query))
        typer.echo(json.dumps(answer, ensure_ascii=False))
        failing = any((s["check"] or {}).get("status") in FAILING for s in answer["sources"])
        raise typer.Exit(EXIT_FAILING if failing else EXIT_OK)
    if query is None:
        _print_list(describe(settings), browser_status(settings))
        return
    results = run_async(check_all(settings, query))
    _print_checks(results)
    failing_names = [r.name for r in results if r.failing]
    if failing_names:
        typer.echo(f"blocked, broken or unreachable: {', '.join(failing_names)}", err=True)
        raise typer.Exit(EXIT_FAILING)


def _query(check: str) -> str:
    query = check.strip()
    if not query or len(query) > MAX_QUERY:
        typer.echo(f"error: --check: give a query of 1 to {MAX_QUERY} characters", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    return query


def _settings() -> Settings:
    try:
        return cli_options.settings()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines whose columns line up (the last column is not padded)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        GAP.join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in rows
    ]


def _print_list(infos: list[SourceInfo], browser: str | None) -> None:
    rows = [("source", "available", "base URL", "note")]
    for info in infos:
        note = "; ".join(part for part in (info.reason or "", info.note or "") if part)
        rows.append((info.name, "yes" if info.available else "no", info.base_url or "-", note))
    for line in aligned(rows):
        typer.echo(line)
    typer.echo(f"browser: {'available' if browser is None else 'unavailable: ' + browser}")


def _print_checks(results: list[SourceCheck]) -> None:
    rows = [("source", "status", "count", "seconds", "first URL or error")]
    for r in results:
        detail = r.first_url or r.error or ""
        rows.append((r.name, r.shown, str(r.count), f"{r.seconds:.1f}", detail))
    for line in aligned(rows):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    """Add ``sources`` to the ``imgharvest`` CLI."""
    app.command("sources", cls=Command, epilog=examples("sources"))(sources)
