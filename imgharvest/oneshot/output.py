"""Where a harvest goes: checks made before anything is fetched (the kind of path a format
writes, an existing output needs ``--overwrite`` or ``--resume``, the folder is writable),
what a resumed folder already holds, and writing what was kept. Nothing is created before
there is something to write; every ``OSError`` on the output becomes an ``OutputError``:
the user's path and the reason, in one line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from imgharvest.errors import InputError, OutputError
from imgharvest.oneshot.manifest import read_manifest
from imgharvest.pipeline import package
from imgharvest.pipeline.records import Seed
from imgharvest.pipeline.result import HarvestResult

ZIP, DIR = "zip", "dir"  # one archive file, or a folder


@dataclass
class Output:
    """A checked output path; ``prior`` holds the manifest rows a resumed folder already has."""

    dest: Path
    kind: str = ""  # ZIP or DIR; from the path's suffix when not given
    overwrite: bool = False
    resume: bool = False
    prior: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.kind = self.kind or (ZIP if self.dest.suffix.lower() == ".zip" else DIR)

    @property
    def is_zip(self) -> bool:
        """One archive file (else a folder)."""
        return self.kind == ZIP

    def seed(self) -> Seed:
        """What the pipeline must not fetch or keep again."""
        return Seed(
            urls=frozenset(r["url"] for r in self.prior),
            hashes=tuple((r["sha256"], r["phash"]) for r in self.prior),
        )

    def workroot(self) -> Path:
        """Where the run's scratch folder goes: the nearest existing folder on the way to the
        output (the same file system, so kept files are moved, not copied)."""
        return _existing_above(self.dest)


@contextmanager
def output_errors(path: Path) -> Iterator[None]:
    """Turn any ``OSError`` into a one-line ``OutputError`` naming ``path``."""
    try:
        yield
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None


def plan(
    target: str | os.PathLike[str],
    *,
    kind: str = "",
    overwrite: bool = False,
    resume: bool = False,
) -> Output:
    """Check ``target`` before fetching anything; refuse to clobber an existing output.

    ``kind`` is what the format writes (``ZIP``: one file, ``DIR``: a folder); a target
    ending in a slash names a folder.
    """
    text = os.fspath(target)
    output = Output(Path(text), kind=kind, overwrite=overwrite, resume=resume)
    if overwrite and resume:
        raise InputError("--overwrite/--resume", "choose one of them")
    if resume and output.is_zip:
        raise InputError("--resume", "continues a folder output: give -o FOLDER")
    with output_errors(output.dest):
        _check_kind(output, text.endswith(("/", os.sep)))
        if _taken(output.dest) and not (overwrite or resume):
            hint = "--overwrite to replace it" + ("" if output.is_zip else " or --resume")
            raise OutputError(output.dest, f"already exists (use {hint})")
        if resume and output.dest.exists():
            output.prior = read_manifest(output.dest)
        _check_writable(output)
    return output


def _taken(dest: Path) -> bool:
    """Whether writing to ``dest`` would replace something (an empty folder replaces nothing)."""
    if dest.is_dir():
        return any(dest.iterdir())
    return dest.exists() or dest.is_symlink()


def _check_kind(output: Output, slash: bool) -> None:
    dest = output.dest
    above = _existing_above(dest, strict=False)
    if not above.is_dir():
        raise OutputError(dest, f"{above} is a file, not a folder (Not a directory)")
    if output.is_zip and (slash or dest.is_dir()):
        shown = f"{dest}/" if slash else dest
        raise OutputError(shown, "is a folder, not a zip file: give a path ending in .zip")
    if not output.is_zip and dest.exists() and not dest.is_dir():
        raise OutputError(dest, "is a file, not a folder")


def _existing_above(dest: Path, strict: bool = True) -> Path:
    """The nearest existing path above ``dest`` (a folder, unless ``strict`` is off)."""
    for above in dest.absolute().parents:
        if above.exists() and (above.is_dir() or not strict):
            return above
    return Path(dest.absolute().anchor)


def _check_writable(output: Output) -> None:
    """Create and remove a scratch file where the output will be written, so an unusable path
    fails before fetching; no folder is created yet."""
    dest = output.dest
    folder = dest if dest.is_dir() else _existing_above(dest)
    probe = folder / f".imgharvest-probe-{os.getpid()}"
    probe.touch()
    probe.unlink()


def write(
    output: Output, result: HarvestResult, slug: str, info: package.InfoMaker | None = None
) -> Path:
    """Write what was kept to the output (zip, fresh folder, or appended to a resumed one),
    with ``dataset.json`` when ``info`` is given."""
    dest, records = output.dest, result.records
    with output_errors(dest):
        if output.is_zip:
            return package.write_zip(records, dest, slug=slug, info=info)
        if output.resume:
            return package.append_dir(records, dest, slug=slug, prior=output.prior, info=info)
        if output.overwrite:
            _remove_listed(dest)
        return package.write_dir(records, dest, slug=slug, move=True, info=info)


def _remove_listed(folder: Path) -> None:
    """Remove the images an earlier manifest lists (and it); unrelated files stay."""
    for row in read_manifest(folder, strict=False):
        target = folder / row["file"]
        if target.resolve().is_relative_to(folder.resolve()):
            target.unlink(missing_ok=True)
    (folder / package.MANIFEST_NAME).unlink(missing_ok=True)
    (folder / package.INFO_NAME).unlink(missing_ok=True)
