"""Static assets and templates of the web pages: our own files and Bootstrap, served locally."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

WEB_DIR = Path(__file__).resolve().parent


def bootstrap_dir() -> Path:
    """Bootstrap 5's ``css/`` and ``js/`` as shipped by the xstatic-bootstrap package."""
    from xstatic.pkg import bootstrap

    return Path(bootstrap.BASE_DIR)


def static_dirs() -> dict[str, Path]:
    """URL prefix -> directory, for every static mount the pages need."""
    return {"/static/app": WEB_DIR / "static", "/static/bootstrap": bootstrap_dir()}


def mount_static(app: FastAPI) -> None:
    """Mount every directory of ``static_dirs`` on ``app`` (no CDN: works offline)."""
    for prefix, directory in static_dirs().items():
        name = prefix.strip("/").replace("/", "-")
        app.mount(prefix, StaticFiles(directory=directory), name=name)


def make_templates() -> Jinja2Templates:
    """The page templates; autoescaping is on for every ``.html`` file."""
    templates = Jinja2Templates(directory=WEB_DIR / "templates")
    templates.env.autoescape = True
    return templates
