"""The two measured scenarios: a 2,000-URL list download, and ``get -n 500`` from the fake Bing."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

from bench import tools
from bench.imagehost import BenchWeb, expected_unique, mixed_catalog
from bench.measure import run_measured
from bench.report import Row
from bench.validity import check_dir
from tests.fakeweb import FakeWeb
from tests.fakeweb.catalog import troubled

LATENCY = 0.05
GET_COUNT = 500
GET_QUERY = "bench kittens"


def fetch_scenario(names: list[str], runs: int, work: Path) -> tuple[list[Row], int]:
    """Every tool downloads the same 2,000 URLs, ``runs`` rounds, tools interleaved per round."""
    items = mixed_catalog()
    rows: list[Row] = []
    web = BenchWeb(items, latency=LATENCY)
    with web:
        work.mkdir(parents=True, exist_ok=True)
        urls = work / "urls.txt"
        urls.write_text("\n".join(web.urls()) + "\n")
        for run in range(1, runs + 1):
            for name in names:
                rows.append(_fetch_once(name, run, urls, work))
                print(_line(rows[-1]), flush=True)
    return rows, expected_unique(items)


def _fetch_once(name: str, run: int, urls: Path, work: Path) -> Row:
    place = _fresh(work / f"{name}-{run}")
    out = place / "out"
    inv = tools.FETCH_TOOLS[name](urls, out, place)
    measured = run_measured(inv.argv, inv.env, place, place / "tool.log")
    return Row(name, run, measured, check_dir(out), _last_write(out, measured.started))


def get_scenario(runs: int, work: Path, with_icrawler: bool = True) -> tuple[list[Row], int]:
    """``imgharvest get -n 500 -s bing`` against the fake Bing at 50 ms latency, into a zip,
    and icrawler's Bing crawler on the same fake, interleaved per round."""
    rows: list[Row] = []
    with FakeWeb(latency=LATENCY) as web:
        web.add_catalog(GET_QUERY, troubled(800, prefix="bk", base_seed=700_000))
        for item in web.catalog(GET_QUERY):
            item.body()  # warm the host's image cache, as for every tool in the fetch scenario
        for run in range(1, runs + 1):
            rows.append(_get_once(web.url, run, work))
            print(_line(rows[-1]), flush=True)
            if os.environ.get("BENCH_REF_TREE"):  # the same command from the reference commit
                rows.append(_get_once(web.url, run, work, ref=True))
                print(_line(rows[-1]), flush=True)
            if with_icrawler:
                rows.append(_icrawler_get_once(web.url, run, work))
                print(_line(rows[-1]), flush=True)
    return rows, GET_COUNT


def _icrawler_get_once(bing_url: str, run: int, work: Path) -> Row:
    """icrawler's BingImageCrawler on the same fake Bing, same count, 128 downloader threads."""
    place = _fresh(work / f"icrawler-get-{run}")
    out = place / "out"
    script = tools.BENCH / "icrawler_get.py"
    argv = [str(tools.BENCH_VENV / "python"), str(script), bing_url, GET_QUERY]
    argv += [str(GET_COUNT), str(out), str(tools.CONCURRENCY)]
    measured = run_measured(argv, tools.base_env(), place, place / "tool.log")
    return Row("icrawler-get", run, measured, check_dir(out), _last_write(out, measured.started))


def _get_once(bing_url: str, run: int, work: Path, ref: bool = False) -> Row:
    name = "imgharvest get" + (" (ref)" if ref else "")
    place = _fresh(work / f"get-{run}{'-ref' if ref else ''}")  # _fresh makes parents too
    archive = place / "out.zip"
    env = tools.base_env() | {
        "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.0/8",
        "IMGHARVEST_DATA_DIR": str(place / "data"),
        "IMGHARVEST_BING_URL": bing_url,
    }
    env |= tools.ref_env() if ref else {}
    cli = tools.ref_cli() if ref else tools.imgharvest_cli()
    argv = [*cli, "get", GET_QUERY, "-n", str(GET_COUNT)]
    argv += ["-s", "bing", "-o", str(archive)]
    measured = run_measured(argv, env, place, place / "tool.log")
    unpacked = place / "unpacked"
    if archive.exists():
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(unpacked)
    last = archive.stat().st_mtime - measured.started if archive.exists() else float("nan")
    return Row(name, run, measured, check_dir(unpacked), last)


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _last_write(out: Path, started: float) -> float:
    mtimes = [p.stat().st_mtime for p in out.rglob("*") if p.is_file()] if out.exists() else []
    return max(mtimes) - started if mtimes else float("nan")


def _line(row: Row) -> str:
    m, v = row.measured, row.validity
    return (
        f"{row.tool:<15} run {row.run}: {m.wall:6.2f} s, cpu {m.cpu:5.1f} s, "
        f"peak {m.peak_rss / 2**20:5.0f} MB, "
        f"exit {m.returncode}, files {v.files} (invalid {v.invalid}, "
        f"dup {v.dup_exact}+{v.dup_near})"
    )
