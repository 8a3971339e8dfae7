"""Service commands of the CLI: ``serve``, ``worker``, ``jobs`` and ``db upgrade``."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from imgharvest.cli import options as cli_options
from imgharvest.cli.helptext import Command, Group, examples
from imgharvest.cli.listen import open_listener
from imgharvest.cli.logging_setup import setup_logging
from imgharvest.cli.options import Quiet, Verbose
from imgharvest.cli.startup import where_lines
from imgharvest.errors import ConfigError
from imgharvest.settings import Settings

if TYPE_CHECKING:
    from imgharvest.service.services import Services

__all__ = ["register"]

_STATUSES = "scheduled, running, done, short, failed, cancelled, expired"

# The service stack (SQLAlchemy, Huey, the web app) is imported inside each command,
# so one-shot commands such as ``get`` and ``fetch`` start without paying for it.

out = Console()
log = logging.getLogger("imgharvest.service")


def _start(settings: Settings, runs_jobs: bool = True, say_where: bool = True) -> Services:
    from imgharvest.service import fleet

    setup_logging(level=_service_log_level(), log_file=settings.log_file)
    try:
        fleet.require_shared(settings)
        services = _build(settings)
        _check_fleet(services, runs_jobs)
        if runs_jobs:
            services.tasks.recover(startup=True)
    except ConfigError as exc:
        out.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    except Exception as exc:
        _refuse_damaged(settings, exc)
        raise
    # said once the database opened: a damaged one is refused in one line, before these
    for line in where_lines(settings) if say_where else []:
        log.info("%s", line)
    return services


def _check_fleet(services: Services, runs_jobs: bool) -> None:
    from imgharvest.service.fleet import Fleet, check_settings

    role = "worker" if runs_jobs else "web"
    check_settings(services.settings, Fleet(services.sessions, services.clock, role))
    check = getattr(services.store, "check", None)
    if check is not None:
        check()


def _service_log_level() -> int:
    # a service logs INFO by default; -q keeps warnings and errors, -v adds debug
    return {-1: logging.WARNING, 0: logging.INFO}.get(cli_options.state.verbosity, logging.DEBUG)


def _settings(**overrides: object) -> Settings:
    try:
        return cli_options.settings(**overrides)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _existing_database() -> Settings:
    """Settings of a ``jobs`` command, whose database must already exist."""
    from imgharvest.cli import served

    settings = _settings()
    try:
        served.require_database(settings)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    return settings


def _refuse_damaged(settings: Settings, exc: Exception) -> None:
    """A damaged database at start: one line naming the file and the fix, exit 1."""
    from imgharvest.store import faults

    if faults.database_fault(exc) != "damaged":
        return
    found = faults.damaged_file([settings.database_url, settings.queue_url])
    name = str(found) if found else "the database"
    typer.echo(
        f"imgharvest: {name} is damaged ({faults.short_reason(exc)}); restore it from a backup "
        "(`imgharvest db check` shows the damage)",
        err=True,
    )
    raise typer.Exit(1)


def _build(settings: Settings) -> Services:
    from imgharvest.service.services import build_services

    return build_services(settings)


def _listen(host: str | None, port: int | None) -> dict[str, object]:
    # Platforms such as Heroku hand the port over in $PORT.
    overrides: dict[str, object] = {}
    if host:
        overrides["host"] = host
    if port is None and os.environ.get("PORT", "").isdigit():
        port = int(os.environ["PORT"])
    if port is not None:
        overrides["port"] = port
    return overrides


def serve(
    web_only: Annotated[
        bool,
        typer.Option("--web-only", help="Web app and API only; worker processes run the jobs."),
    ] = False,
    in_process: Annotated[
        bool,
        typer.Option(
            "--in-process", help="Run the job workers as threads of this process (no child)."
        ),
    ] = False,
    host: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS", help="Bind address, e.g. 0.0.0.0. Default: HOST (127.0.0.1)."
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(metavar="PORT", help="Port. Default: PORT (8000), or $PORT when set."),
    ] = None,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """Run the web app, and the job workers and scheduler in a child process (SQLite: nothing
    else to start)."""
    import uvicorn

    from imgharvest.web.app import create_app
    from imgharvest.web.headlimit import head_limited

    settings = _settings(**_listen(host, port))
    listener = open_listener(settings.host, settings.port)  # a busy port stops nothing started
    runs_jobs = not web_only and settings.workers > 0
    services = _start(settings, runs_jobs and in_process)
    from imgharvest.cli import served

    served.remember(settings)
    parts, what = _serve_parts(services, runs_jobs, in_process)
    parts.start()
    if isinstance(parts, _WebWithChild):
        what += f" (pid {parts.child.pid})"
    log.info("serving on %s:%d with %s", settings.host, settings.port, what)
    try:
        config = uvicorn.Config(
            create_app(settings, services), host=settings.host, port=settings.port,
            log_config=None, access_log=False, proxy_headers=False,
            http=head_limited(settings.max_header_bytes),
        )  # fmt: skip
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        # Unfinished runs are picked up elsewhere or at the next start (their heartbeat stops).
        parts.stop()
        services.close()


class _WebWithChild:
    """The web tier's upkeep plus the supervised ``worker`` child."""

    def __init__(self, services: Services) -> None:
        from imgharvest.service.recovery import Upkeep
        from imgharvest.service.worker_child import WorkerChild, worker_argv

        settings = services.settings
        self.upkeep = Upkeep(services, None, "web")
        argv = worker_argv(cli_options.state.config, cli_options.state.verbosity, os.getpid())
        # the child reads the same settings; the listen address makes the same PUBLIC_URL
        env = {**os.environ, "IMGHARVEST_HOST": settings.host,
               "IMGHARVEST_PORT": str(settings.port)}  # fmt: skip
        self.child = WorkerChild(argv, env)

    def start(self) -> None:
        self.upkeep.start()
        self.child.start()

    def stop(self) -> None:
        self.child.stop()
        self.upkeep.stop()


def _serve_parts(services: Services, runs_jobs: bool, in_process: bool) -> tuple[Any, str]:
    """What runs beside the web app, and its description for the log."""
    from imgharvest.service.recovery import Upkeep
    from imgharvest.service.runtime import Runtime

    workers = services.settings.workers
    if not runs_jobs:
        return Upkeep(services, None, "web"), "no workers (web only)"
    if in_process:
        return Runtime(services, workers), f"{workers} workers in this process"
    return _WebWithChild(services), f"{workers} workers in a child process"


def worker(
    parent_pid: Annotated[int | None, typer.Option("--parent-pid", hidden=True)] = None,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """Run jobs, the scheduler, mail and housekeeping (WORKERS threads), next to serve."""
    from imgharvest.service.runtime import Runtime

    if parent_pid is not None:  # started by ``serve``: it ends with its parent
        from imgharvest.service.worker_child import die_with_parent

        die_with_parent(parent_pid)
    settings = _settings()
    # serve's child shares serve's log, where serve has already said where things go
    services = _start(settings, say_where=parent_pid is None)
    log.info("worker with %d threads", max(1, settings.workers))
    try:
        Runtime(services, max(1, settings.workers)).run()
    finally:
        services.close()


def jobs_list(
    status: Annotated[
        str | None, typer.Option(metavar="STATUS", help=f"Only jobs with this status: {_STATUSES}.")
    ] = None,
    limit: Annotated[int, typer.Option(metavar="N", help="How many, newest first.")] = 50,
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """List recent jobs, one a line (-q: without the header)."""
    from imgharvest.service.jobdata import STATUSES

    if status is not None and status not in STATUSES:
        typer.echo(f"error: --status: {status!r} is not one of {', '.join(STATUSES)}", err=True)
        raise typer.Exit(2)
    services = _build(_existing_database())
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
    job_id: Annotated[str, typer.Argument(metavar="JOB_ID", help="The job id.")],
    _quiet: Quiet = False,
    _verbose: Verbose = 0,
) -> None:
    """Show one job with its events (-q: without them); its links use PUBLIC_URL, else
    where the local serve answers."""
    from imgharvest.cli import served

    settings = _existing_database()
    url = served.public_url(settings)
    services = _build(settings.model_copy(update={"public_url": url}) if url else settings)
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
    """Apply the database migrations (serve and worker also do it on start)."""
    from imgharvest.store.db import make_engine, upgrade

    settings = _settings()
    upgrade(make_engine(settings.database_url))
    if not cli_options.state.quiet:
        out.print("database is up to date")


def db_check(_quiet: Quiet = False, _verbose: Verbose = 0) -> None:
    """Check the SQLite files (database and queue) with SQLite's integrity check; exit 1 if
    one is damaged."""
    from imgharvest.store import faults

    settings = _settings()
    damaged = False
    for label, url in (("database", settings.database_url), ("queue", settings.queue_url)):
        path = faults.sqlite_file(url)
        if path is None or not path.exists():
            why = "not SQLite" if path is None else f"{path} not created yet"
            out.print(f"{label}: {why}, nothing to check", markup=False)
            continue
        problems = faults.integrity_problems(path)
        damaged = damaged or bool(problems)
        out.print(f"{label} {path}: " + ("ok" if not problems else "DAMAGED"), markup=False)
        for line in problems:
            out.print(f"  {line}", markup=False)
    if damaged:
        out.print("restore the damaged file from a backup (or delete it to start empty)")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the service commands to the ``imgharvest`` CLI."""
    app.command(cls=Command, epilog=examples("serve"))(serve)
    app.command(cls=Command, epilog=examples("worker"))(worker)
    jobs = typer.Typer(help="List and inspect jobs.", no_args_is_help=True, cls=Group,
                       epilog=examples("jobs"))  # fmt: skip
    jobs.command("list", cls=Command, epilog=examples("list"))(jobs_list)
    jobs.command("inspect", cls=Command, epilog=examples("inspect"))(jobs_inspect)
    app.add_typer(jobs, name="jobs")
    db = typer.Typer(help="Check the database, apply its migrations.", no_args_is_help=True,
                     cls=Group, epilog=examples("db"))  # fmt: skip
    db.command("upgrade", cls=Command, epilog=examples("upgrade"))(db_upgrade)
    db.command("check", cls=Command, epilog=examples("check"))(db_check)
    app.add_typer(db, name="db")
