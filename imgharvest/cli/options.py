"""Options every CLI command shares: ``--version``, ``--config``, ``-q``/``-v``, and the
settings built from them (environment over config file over defaults)."""

from __future__ import annotations

import logging
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from imgharvest.settings import Settings, load_settings
from imgharvest.version import __version__


@dataclass
class CliState:
    """What the shared options chose for this invocation."""

    config: Path | None = None
    verbosity: int = 0  # -1 quiet, 0 normal, 1 and more verbose
    ends_fast: bool = False  # a harvest command ran: the script may skip teardown (cli_exit)
    json_sent: bool = False  # the one ``--json`` object of this invocation is out

    @property
    def quiet(self) -> bool:
        """No progress bar or summary table: only errors and the result."""
        return self.verbosity < 0


state = CliState()


def reset(config: Path | None, quiet: bool, verbose: int) -> None:
    """Start an invocation afresh from the options given before the command's name (the
    CLI may be invoked many times in one process); the command's own options come after."""
    state.config, state.verbosity = config, -1 if quiet else (verbose or 0)
    state.ends_fast = state.json_sent = False


def settings(**overrides: Any) -> Settings:
    """Settings for a command: explicit ``overrides``, ``IMGHARVEST_*`` variables, then the
    config file, then defaults."""
    return load_settings(state.config, **overrides)


def command_line() -> str:
    """The command line as typed, its quoting kept (it goes into ``dataset.json``)."""
    return shlex.join(["imgharvest", *sys.argv[1:]])


def log_level() -> int:
    """The stdlib logging level the chosen verbosity means."""
    return {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        state.verbosity, logging.DEBUG
    )


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (it may be swapped between invocations)."""

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


@contextmanager
def cli_logs() -> Iterator[None]:
    """Job events and logs on stderr, as much as the verbosity asks for, while a command runs;
    the logger is as it was afterwards (the CLI may run in a process that logs elsewhere)."""
    logger = logging.getLogger("imgharvest")
    saved = logger.level, logger.propagate, list(logger.handlers)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger.setLevel(log_level())
    logger.handlers, logger.propagate = [handler], False
    try:
        yield
    finally:
        logger.setLevel(saved[0])
        logger.propagate, logger.handlers = saved[1], saved[2]


def _set_quiet(value: bool) -> bool:
    if value:
        state.verbosity = -1
    return value


def _set_verbose(value: int | None) -> int:
    if value:
        state.verbosity = max(state.verbosity, 0) + value
    return value or 0


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"imgharvest {__version__}")
        raise typer.Exit()


Quiet = Annotated[
    bool,
    typer.Option("-q", "--quiet", help="Only errors and the result.", callback=_set_quiet),
]
Verbose = Annotated[
    int,
    typer.Option(
        "-v", "--verbose", count=True, help="Show every event (-vv: debug).", callback=_set_verbose
    ),
]
Version = Annotated[
    bool,
    typer.Option(
        "--version", help="Print the version and exit.", callback=_show_version, is_eager=True
    ),
]
Config = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="A TOML file of settings. Default: ./imgharvest.toml if present.",
        envvar="IMGHARVEST_CONFIG",
    ),
]
