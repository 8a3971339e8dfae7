"""Where a CLI harvest goes: checks made before anything is fetched (an existing output needs
``--overwrite`` or ``--resume``), what a folder already holds, and writing what was kept.
Every ``OSError`` on the output becomes an ``OutputError``: the user's path and the reason."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from imgharvest.errors import InputError, OutputError
from imgharvest.pipeline import package
from imgharvest.pipeline.records import Seed
from imgharvest.pipeline.result import HarvestResult


@dataclass
class Output:
    """A checked output path; ``prior`` holds the manifest rows a resumed folder already has."""

    dest: Path
    overwrite: bool = False
    prior: list[dict[str, str]] = field(default_factory=list)

    @property
    def is_zip(self) -> bool:
        """A ``.zip`` path is written as one archive; anything else is a folder."""
        return self.dest.suffix.lower() == ".zip"

    def seed(self) -> Seed:
        """What the pipeline must not fetch or keep again."""
        return Seed(
            urls=frozenset(r["url"] for r in self.prior),
            hashes=tuple((r["sha256"], r["phash"]) for r in self.prior),
        )


@contextmanager
def output_errors(path: Path) -> Iterator[None]:
    """Turn any ``OSError`` into a one-line ``OutputError`` naming ``path``."""
    try:
        yield
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None


def plan(dest: Path, *, overwrite: bool = False, resume: bool = False) -> Output:
    """Check ``dest`` before fetching anything; refuse to clobber an existing output."""
    output = Output(dest, overwrite=overwrite)
    if overwrite and resume:
        raise InputError("--overwrite/--resume", "choose one of them")
    if resume and output.is_zip:
        raise InputError("--resume", "continues a folder output: give -o FOLDER")
    with output_errors(dest):
        _check_kind(output)
        if _taken(dest) and not (overwrite or resume):
            hint = "--overwrite to replace it" + ("" if output.is_zip else " or --resume")
            raise OutputError(dest, f"already exists (use {hint})")
        if resume and dest.exists():
            output.prior = read_manifest(dest)
        _check_writable(output)
    return output


def _taken(dest: Path) -> bool:
    """Whether writing to ``dest`` would replace something (an empty folder replaces nothing)."""
    if dest.is_dir():
        return any(dest.iterdir())
    return dest.exists() or dest.is_symlink()


def _check_kind(output: Output) -> None:
    dest = output.dest
    above = next((p for p in dest.absolute().parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise OutputError(dest, f"{above} is a file, not a folder (Not a directory)")
    if output.is_zip and dest.is_dir():
        raise OutputError(dest, "is a folder, not a zip file")
    if not output.is_zip and dest.exists() and not dest.is_dir():
        raise OutputError(dest, "is a file, not a folder")


def _check_writable(output: Output) -> None:
    """Create the folders and a scratch file now, so an unusable path fails before fetching."""
    folder = output.dest.parent if output.is_zip else output.dest
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / f".imgharvest-probe-{os.getpid()}"
    probe.touch()
    probe.unlink()


def read_manifest(folder: Path) -> list[dict[str, str]]:
    """The rows of ``folder/manifest.csv`` (none when the folder has no manifest yet)."""
    path = folder / package.MANIFEST_NAME
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if rows and not {"file", "url", "sha256", "phash"} <= set(rows[0]):
        raise OutputError(path, "is not an imgharvest manifest")
    return rows


def write(
    output: Output, result: HarvestResult, slug: str, info: package.InfoMaker | None = None
) -> Path:
    """Write what was kept to the output (zip, fresh folder, or appended to a resumed one),
    with ``dataset.json`` when ``info`` is given."""
    dest, records = output.dest, result.records
    with output_errors(dest):
        if output.is_zip:
            return package.write_zip(records, dest, slug=slug, info=info)
        if output.prior:
            return package.append_dir(records, dest, slug=slug, prior=output.prior, info=info)
        if output.overwrite:
            _remove_listed(dest)
        return package.write_dir(records, dest, slug=slug, move=True, info=info)


def _remove_listed(folder: Path) -> None:
    """Remove the images an earlier manifest lists (and it); unrelated files stay."""
    for row in read_manifest(folder):
        target = folder / row["file"]
        if target.resolve().is_relative_to(folder.resolve()):
            target.unlink(missing_ok=True)
    (folder / package.MANIFEST_NAME).unlink(missing_ok=True)
    (folder / package.INFO_NAME).unlink(missing_ok=True)
