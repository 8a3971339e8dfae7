"""Service commands of the CLI: ``serve``, ``worker``, ``jobs`` and ``db upgrade``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from imgharvest import cli_options
from imgharvest.cli_options import Quiet, Verbose
from imgharvest.logging_setup import setup_logging
from imgharvest.settings import Settings
from imgharvest.startup import where_lines

if TYPE_CHECKING:
    from huey.consumer import Consumer

    from imgharvest.services import Services

# The service stack (SQLAlchemy, Huey, the web app) is imported inside each command,
# so one-shot commands such as ``get`` and ``fetch`` start without paying for it.

out = Console()
log = logging.getLogger("imgharvest.service")


def _start(settings: Settings) -> Services:
    setup_logging(level=_service_log_level(), log_file=settings.log_file)
    for line in where_lines(settings):
        log.info("%s", line)
    services = _build(settings)
    services.tasks.recover(startup=True)
    return services


def _service_log_level() -> int:
    # a service logs INFO by default; -q keeps warnings and errors, -v adds debug
    return {-1: logging.WARNING, 0: logging.INFO}.get(cli_options.state.verbosity, logging.DEBUG)


def _settings() -> Settings:
    from imgharvest.errors import ConfigError

    try:
        return cli_options.settings()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _build(settings: Settings) -> Services:
    from imgharvest.services import build_services

    return build_services(settings)


def consumer(services: Services, workers: int) -> Consumer:
    """Huey workers (threads) plus its scheduler; polls at least every second."""
    return services.queue.create_consumer(
        workers=workers, worker_type="thread", periodic=True, initial_delay=0.1,
        max_delay=1.0, scheduler_interval=1, check_worker_health=True, shutdown_timeout=30,
    )  # fmt: skip


def serve(_quiet: Quiet = False, _verbose: Verbose = 0) -> None:
    """Run the web app with in-process workers and the scheduler (SQLite: nothing else to start)."""
    import uvicorn

    from imgharvest.web.app import create_app

    settings = _settings()
    services = _start(settings)
    workers = consumer(services, settings.workers)
    workers.start()
    log.info("serving on %s with %d workers", settings.public_url, settings.workers)
    try:
        uvicorn.run(
            create_app(settings, services), host=settings.host, port=settings.port,
            log_config=None, access_log=False,
        )  # fmt: skip
    finally:
        # Unfinished runs are picked up by the next start (their heartbeat goes stale).
        workers.stop()
        services.close()


def worker(_quiet: Quiet = False, _verbose: Verbose = 0) -> None:
    """Run workers only (WORKERS threads), for scale-out next to ``serve``."""
    settings = _settings()
    services = _start(settings)
    consumer(services, settings.workers).run()


def jobs_list(
    status: Annotated[str | None, typer.Option(help="Only jobs with this status.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """List recent jobs."""
    from imgharvest.jobs import STATUSES

    if status is not None and status not in STATUSES:
        typer.echo(f"error: --status: {status!r} is not one of {', '.join(STATUSES)}", err=True)
        raise typer.Exit(2)
    services = _build(_settings())
    # One job per line, never wrapped: scripts grep this (-q leaves out the header).
    if not cli_options.state.quiet:
        typer.echo("id\tstatus\tkind\tkept/wanted\trun_at_utc\tquery")
    for job in services.jobs.recent(status, limit):
        when = f"{job.run_at:%Y-%m-%dT%H:%M}"
        typer.echo(
            f"{job.id}\t{job.status}\t{job.kind}\t{job.kept}/{job.wanted}\t{when}\t{job.query}"
        )
    services.close()


def jobs_inspect(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """Show one job with its events (-q: without them)."""
    services = _build(_settings())
    view = services.jobs.get(job_id, with_images=False)
    services.close()
    if view is None:
        out.print(f"no job {job_id!r}")
        raise typer.Exit(1)
    out.print(f"[bold]{view.id}[/] {view.kind} {view.status}: {view.query}")
    out.print(f"run at {view.run_at:%Y-%m-%d %H:%M:%S} UTC; kept {view.kept}/{view.wanted}")
    for line in (view.summary, view.error, view.download_url):
        if line:
            out.print(line)
    for event in [] if cli_options.state.quiet else view.events:
        out.print(f"{event.at:%H:%M:%S} {event.level:<7} {event.message}", markup=False)


def db_upgrade(_quiet: Quiet = False, _verbose: Verbose = 0) -> None:
    """Apply the database migrations (``serve`` and ``worker`` also do it on start)."""
    from imgharvest.db import make_engine, upgrade

    settings = _settings()
    upgrade(make_engine(settings.database_url))
    if not cli_options.state.quiet:
        out.print("database is up to date")


def register(app: typer.Typer) -> None:
    """Add the service commands to the ``imgharvest`` CLI."""
    app.command()(serve)
    app.command()(worker)
    jobs = typer.Typer(help="List and inspect jobs.", no_args_is_help=True)
    jobs.command("list")(jobs_list)
    jobs.command("inspect")(jobs_inspect)
    app.add_typer(jobs, name="jobs")
    db = typer.Typer(help="Database schema.", no_args_is_help=True)
    db.command("upgrade")(db_upgrade)
    app.add_typer(db, name="db")
