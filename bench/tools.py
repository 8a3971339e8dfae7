"""The tools under comparison: how each one is invoked to download a URL list into a directory."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BENCH_VENV = BENCH / ".venv-bench" / "bin"
PROJECT_BIN = Path(sys.prefix) / "bin"
CONCURRENCY = 128  # the same total in-flight budget for every tool


@dataclass(frozen=True)
class Invocation:
    """A command line and the environment to run it with."""

    argv: list[str]
    env: dict[str, str]


Builder = Callable[[Path, Path, Path], Invocation]


def imgharvest(urls: Path, out: Path, work: Path) -> Invocation:
    """The project's CLI: fetch, verify, de-duplicate, write images/ + manifest.csv."""
    env = base_env() | {
        "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.0/8",
        "IMGHARVEST_DATA_DIR": str(work / "data"),
    }
    return Invocation([*imgharvest_cli(), "fetch", str(urls), "-o", str(out)], env)


def imgharvest_host128(urls: Path, out: Path, work: Path) -> Invocation:
    """The same with ``PER_HOST_CONCURRENCY=128``: every URL here is on one host, and the
    default per-host cap (32) is the politeness limit, not a speed limit."""
    inv = imgharvest(urls, out, work)
    env = inv.env | {"IMGHARVEST_PER_HOST_CONCURRENCY": str(CONCURRENCY)}
    return Invocation(inv.argv, env)


def imgharvest_aiohttp(urls: Path, out: Path, work: Path) -> Invocation:
    """``imgharvest-host128`` on the aiohttp download backend (the one before libcurl)."""
    inv = imgharvest_host128(urls, out, work)
    return Invocation(inv.argv, inv.env | {"IMGHARVEST_FETCH_BACKEND": "aiohttp"})


def imgharvest_ref(urls: Path, out: Path, work: Path) -> Invocation:
    """``imgharvest-host128`` run from another checkout (``BENCH_REF_TREE``, e.g. an exported
    earlier commit) with this venv: an A/B of two commits interleaved in the same run."""
    inv = imgharvest_host128(urls, out, work)
    args = inv.argv[len(imgharvest_cli()) :]
    return Invocation([*ref_cli(), *args], inv.env | ref_env())


def ref_cli() -> list[str]:
    """The CLI entry point of the reference checkout (found first on its ``PYTHONPATH``;
    ``-P`` keeps the working directory's checkout off the path)."""
    return [sys.executable, "-P", "-c", "from imgharvest.cli import main; main()"]


def ref_env() -> dict[str, str]:
    """``PYTHONPATH`` naming the reference checkout (``BENCH_REF_TREE``)."""
    tree = os.environ.get("BENCH_REF_TREE")
    if not tree:
        raise SystemExit("imgharvest-ref needs BENCH_REF_TREE (a checkout of the other commit)")
    return {"PYTHONPATH": str(Path(tree).resolve())}


def imgharvest_cli() -> list[str]:
    """The installed ``imgharvest`` script, or the same entry point from this checkout."""
    script = PROJECT_BIN / "imgharvest"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from imgharvest.cli import main; main()"]


def curl(urls: Path, out: Path, work: Path) -> Invocation:
    """One curl process, all URLs from a -K config file, 128 transfers in parallel."""
    out.mkdir(parents=True, exist_ok=True)
    config = work / "curl.cfg"
    lines = urls.read_text().split()
    config.write_text(
        "".join(f'url = "{u}"\noutput = "{out / f"{i:05d}.jpg"}"\n' for i, u in enumerate(lines))
    )
    argv = ["curl", "--parallel", "--parallel-max", str(CONCURRENCY), "--fail", "--silent"]
    return Invocation([*argv, "-K", str(config)], base_env())


def aria2c(urls: Path, out: Path, work: Path) -> Invocation:
    """aria2c, 128 downloads at once, one connection each, from an input file."""
    out.mkdir(parents=True, exist_ok=True)
    listing = work / "aria2.txt"
    lines = urls.read_text().split()
    listing.write_text("".join(f"{u}\n  out={i:05d}.jpg\n" for i, u in enumerate(lines)))
    argv = [
        "aria2c", f"--input-file={listing}", f"--dir={out}",
        f"--max-concurrent-downloads={CONCURRENCY}",
        "--split=1", "--max-connection-per-server=1", "--file-allocation=none",
        "--allow-overwrite=true", "--auto-file-renaming=false", "--console-log-level=error",
        "--summary-interval=0", "--quiet=true",
    ]  # fmt: skip
    return Invocation(argv, base_env())


def img2dataset(urls: Path, out: Path, work: Path) -> Invocation:
    """img2dataset, original bytes kept (no resize, no re-encode); 2 processes x 64 threads."""
    argv = [
        str(BENCH_VENV / "img2dataset"),
        f"--url_list={urls}", "--input_format=txt", "--output_format=files",
        f"--output_folder={out}", "--resize_mode=no", "--skip_reencode=True",
        "--processes_count=2", f"--thread_count={CONCURRENCY // 2}",
        "--number_sample_per_shard=1000", "--enable_wandb=False",
    ]  # fmt: skip
    return Invocation(argv, base_env())


def icrawler(urls: Path, out: Path, work: Path) -> Invocation:
    """icrawler's UrlListCrawler with 128 downloader threads (bench/icrawler_run.py)."""
    script = BENCH / "icrawler_run.py"
    argv = [str(BENCH_VENV / "python"), str(script), str(urls), str(out), str(CONCURRENCY)]
    return Invocation(argv, base_env())


def base_env() -> dict[str, str]:
    """The caller's environment without imgharvest settings that could skew a run; the
    checkout on ``PYTHONPATH`` so the CLI runs from it even when not pip-installed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGHARVEST_")}
    return env | {"PYTHONPATH": str(BENCH.parent)}


FETCH_TOOLS: dict[str, Builder] = {
    "imgharvest": imgharvest,
    "imgharvest-host128": imgharvest_host128,
    "imgharvest-aiohttp": imgharvest_aiohttp,
    "imgharvest-ref": imgharvest_ref,
    "curl": curl,
    "aria2c": aria2c,
    "img2dataset": img2dataset,
    "icrawler": icrawler,
}
