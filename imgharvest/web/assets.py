"""Static assets and templates of the web pages: our own files, Bootstrap, Swagger UI and ReDoc,
all served from files the wheel ships (no CDN: the pages and ``/docs`` work offline)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

WEB_DIR = Path(__file__).resolve().parent
DOCS_PREFIX = "/static/docs"


def bootstrap_dir() -> Path:
    """Bootstrap 5's ``css/``, vendored in the package (see ``vendor/README.md``)."""
    return WEB_DIR / "vendor" / "bootstrap"


def docs_dir() -> Path:
    """Swagger UI's and ReDoc's bundles, as the ``fastapi-offline`` wheel ships them."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def static_dirs() -> dict[str, Path]:
    """URL prefix -> directory, for every static mount the pages need."""
    return {
        "/static/app": WEB_DIR / "static",
        "/static/bootstrap": bootstrap_dir(),
        DOCS_PREFIX: docs_dir(),
    }


def mount_static(app: FastAPI) -> None:
    """Mount every directory of ``static_dirs`` on ``app`` (no CDN: works offline)."""
    for prefix, directory in static_dirs().items():
        name = prefix.strip("/").replace("/", "-")
        app.mount(prefix, StaticFiles(directory=directory), name=name)


def make_templates() -> Jinja2Templates:
    """The page templates; autoescaping is on for every ``.html`` file."""
    templates = Jinja2Templates(directory=WEB_DIR / "templates")
    templates.env.autoescape = True
    templates.env.filters["sentence"] = sentence
    return templates


def sentence(text: str) -> str:
    """``text`` with its first letter upper-cased and the rest as it is (Jinja's
    ``capitalize`` lower-cases the rest: "URLs" and "DuckDuckGo" would not survive)."""
    return text[:1].upper() + text[1:]
