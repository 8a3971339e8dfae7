"""``serve``'s listening socket, opened before anything else starts: a port that is taken
(or not allowed) is one line and exit 2, never a traceback from this process or its worker."""

from __future__ import annotations

import errno
import socket

import typer

# The configuration says which port; the line says how to choose another.
HOW = "pick another with --port or IMGHARVEST_PORT"


def open_listener(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (uvicorn listens on it), or exit 2 with one line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        typer.echo(f"imgharvest: {why(host, port, exc)}", err=True)
        raise typer.Exit(2) from None
    return sock


def why(host: str, port: int, exc: OSError) -> str:
    """The reason a bind failed, and what to do, in one line."""
    where = f"port {port} on {host}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"{where} is already in use; {HOW} (e.g. --port {port + 1 if port < 65535 else 8000})"
        )
    if exc.errno == errno.EACCES:
        return f"{where} needs privileges (ports below 1024 do); {HOW}"
    if exc.errno == errno.EADDRNOTAVAIL or isinstance(exc, socket.gaierror):
        return f"cannot listen on {host!r}: no such local address; check --host or IMGHARVEST_HOST"
    return f"cannot listen on {where}: {exc.strerror or exc}; {HOW}"
