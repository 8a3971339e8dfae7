"""Acceptance (issue 7): the CLI never loses or clobbers work, errors are one line, ``--json``
adds up, and non-Latin queries get distinct archive names. Each run is a real process."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from imgharvest.cli.app import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_SHORT
from tests.e2e.test_cli_get import read_zip, underlying_picture
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.task_check import assert_no_lost_task


@pytest.fixture
def env(tmp_path: Path, fakeweb: FakeWeb) -> dict[str, str]:
    """A process environment pointing every source at the fake web, loopback allowed."""
    values = {k: v for k, v in os.environ.items() if not k.startswith("IMGHARVEST_")}
    values.update({f"IMGHARVEST_{k}_URL": fakeweb.url for k in ("BING", "DUCKDUCKGO")})
    values.update(
        IMGHARVEST_DATA_DIR=str(tmp_path / "data"),
        IMGHARVEST_ALLOWED_NETWORKS="127.0.0.0/8",
        IMGHARVEST_READ_TIMEOUT="3",
        IMGHARVEST_TOTAL_TIMEOUT="6",
        IMGHARVEST_RETRY_MAX_WAIT="0.5",
        COLUMNS="200",
    )
    return values


Done = subprocess.CompletedProcess[str]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "imgharvest", *args]


def run(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cli(*args), env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert_no_lost_task(done.stderr)
    return done


def one_line_error(done: Done, *words: str) -> str:
    """The process failed with exit 2 and said why in exactly one line, no traceback."""
    assert done.returncode == EXIT_BAD_INPUT, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def image_hits(fw: FakeWeb, prefix: str) -> int:
    return sum(n for path, n in fw.hits.items() if path.startswith(f"/img/{prefix}"))


def folder_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def check_folder(folder: Path) -> list[dict[str, str]]:
    """The manifest lists exactly the image files, each with its true hash and size."""
    rows = folder_rows(folder)
    files = sorted(p.relative_to(folder).as_posix() for p in (folder / "images").iterdir())
    assert sorted(r["file"] for r in rows) == files
    for row in rows:
        data = (folder / row["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert int(row["bytes"]) == len(data)
    return rows


# -- 2. an existing output is never overwritten without --overwrite ------------------------


def test_second_get_into_the_same_zip_exits_2_and_keeps_the_first(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("clobber cats", cat.good(12, start=70_000, prefix="clob"))
    out = tmp_path / "x.zip"
    first = run(env, "get", "clobber cats", "-n", "5", "-s", "bing", "-o", str(out))
    assert first.returncode == EXIT_OK, first.stderr
    before, stat = out.read_bytes(), out.stat()
    hits = image_hits(fakeweb, "clob")

    second = run(env, "get", "clobber cats", "-n", "3", "-s", "bing", "-o", str(out))
    one_line_error(second, str(out), "already exists", "--overwrite")
    assert out.read_bytes() == before and out.stat().st_mtime_ns == stat.st_mtime_ns
    assert image_hits(fakeweb, "clob") == hits, "it fetched before refusing"

    third = run(env, "get", "clobber cats", "-n", "3", "-s", "bing", "-o", str(out), "--overwrite")
    assert third.returncode == EXIT_OK, third.stderr
    files, rows = read_zip(out)
    assert len(files) == 3 and len(rows) == 3


def test_zip_is_written_with_the_users_umask(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "mode.zip"
    done = subprocess.run(["sh", "-c", 'umask 022 && exec "$@"', "sh",
                           *cli("get", "umask cats", "-n", "2", "-s", "bing", "-o", str(out))],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == EXIT_OK, done.stderr
    assert out.stat().st_mode & 0o777 == 0o644


# -- 3. Ctrl-C keeps what was kept; --resume completes the set -----------------------------


def test_sigint_keeps_partial_output_and_resume_completes_it(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("slow owls", cat.slow(340, start=80_000, prefix="slowowl"))
    out = tmp_path / "owls"
    slow_env = {**env, "IMGHARVEST_FETCH_CONCURRENCY": "8"}
    args = ["get", "slow owls", "-n", "300", "-s", "bing", "-o", str(out)]
    proc = subprocess.Popen(cli(*args), env=slow_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while image_hits(fakeweb, "slowowl") < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert_no_lost_task(stderr)
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert "Traceback" not in stderr
    said = [ln for ln in stderr.splitlines() if "interrupted" in ln]
    assert len(said) == 1 and "--resume" in said[0], stderr
    partial = check_folder(out)
    assert 0 < len(partial) < 300

    done = run(slow_env, *args, "--resume")
    assert done.returncode == EXIT_OK, done.stderr
    rows = check_folder(out)
    assert len(rows) == 300
    assert rows[: len(partial)] == partial, "resume changed what was already there"
    assert len({r["sha256"] for r in rows}) == 300
    assert len({r["url"] for r in rows}) == 300
    assert len({underlying_picture(fakeweb, r["url"]) for r in rows}) == 300


def test_resume_seeds_the_deduper_with_what_the_folder_holds(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    originals = cat.good(6, start=90_000, prefix="resdup")
    copies = [cat.FakeImage(f"resdupcopy{i}", 95_000 + i, "dup_exact", of=90_000 + i)
              for i in range(3)]  # fmt: skip
    fakeweb.add_catalog("resume first", originals[:3])
    fakeweb.add_catalog("resume second", copies + originals[3:])
    out = tmp_path / "dups"
    assert run(env, "get", "resume first", "-n", "3", "-s", "bing", "-o", str(out)).returncode == 0
    # One more than the six distinct pictures, so every candidate is judged: asking for
    # exactly six lets the run stop before a late copy is counted.
    done = run(env, "get", "resume second", "-n", "7", "-s", "bing", "-o", str(out), "--resume",
               "--json")  # fmt: skip
    assert done.returncode == EXIT_SHORT, done.stderr
    summary = json.loads(done.stdout)
    assert summary["rejected"] == {"duplicate_exact": 3}
    assert summary["kept_earlier"] == 3 and summary["delivered"] == 6
    assert len({r["sha256"] for r in check_folder(out)}) == 6


def test_timeout_keeps_what_was_found(env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path):
    fakeweb.add_catalog("slow larks", cat.slow(340, start=150_000, prefix="slowlark"))
    out = tmp_path / "larks.zip"
    slow_env = {**env, "IMGHARVEST_FETCH_CONCURRENCY": "8"}
    done = run(slow_env, "get", "slow larks", "-n", "300", "-s", "bing", "-o", str(out),
               "--timeout", "2", "--json", "-q")  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert done.stderr.count("\n") == 1 and "timed out after 2 s" in done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "timeout" and 0 < summary["delivered"] < 300
    files, rows = read_zip(out)
    assert len(files) == len(rows) == summary["delivered"]


# -- 4. unusable output paths: exit 2, one line, no traceback ------------------------------


def test_file_in_the_way_of_the_output_folder(env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    done = run(env, "get", "cats", "-n", "2", "-s", "bing", "-o", str(blocker / "out.zip"))
    one_line_error(done, str(blocker / "out.zip"), "Not a directory")
    done = run(env, "get", "cats", "-n", "2", "-s", "bing", "-o", str(blocker), "--overwrite")
    one_line_error(done, str(blocker), "is a file, not a folder")
    assert blocker.read_text() == "a file, not a folder"


def test_folder_in_the_way_of_the_zip(env: dict[str, str], tmp_path: Path) -> None:
    taken = tmp_path / "[red]taken[bold].zip"  # rich markup in a path is shown as is
    taken.mkdir()
    done = run(env, "get", "cats", "-n", "2", "-o", str(taken), "--overwrite")
    one_line_error(done, str(taken), "is a folder")


def test_read_only_output(env: dict[str, str], tmp_path: Path) -> None:
    """A read-only file system, mounted in a private mount namespace (needs root, as CI runs)."""
    if os.geteuid() != 0:
        pytest.fail("mounting a read-only file system needs root")
    ro = tmp_path / "ro"
    ro.mkdir()
    mounted = f'mount -t tmpfs -o ro,size=1m tmpfs "{ro}" && exec "$@"'
    for out in (ro / "x.zip", ro / "folder"):
        args = cli("get", "cats", "-n", "2", "-s", "bing", "-o", str(out))
        done = subprocess.run(["unshare", "-m", "sh", "-c", mounted, "sh", *args], env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        one_line_error(done, str(out), "Read-only file system")


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="imgh-perm-"))
    path.chmod(0o755)
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=True)


def test_no_permission_on_the_output_folder(env: dict[str, str], shared_tmp: Path) -> None:
    """Run as ``nobody`` (root ignores file modes) into a folder only root may write."""
    if os.geteuid() != 0:
        pytest.fail("switching to the nobody user needs root")
    locked = shared_tmp / "locked"
    locked.mkdir(mode=0o755)
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    nobody_env = {**env, "IMGHARVEST_DATA_DIR": str(shared_tmp / "data"), "HOME": str(shared_tmp),
                  "XDG_CONFIG_HOME": str(shared_tmp / "config")}  # fmt: skip
    for out in (locked / "x.zip", locked / "sub" / "folder"):
        args = cli("get", "cats", "-n", "2", "-s", "bing", "-o", str(out))
        done = subprocess.run([*as_nobody, *args], env=nobody_env, cwd=shared_tmp,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        one_line_error(done, str(out), "Permission denied")


# -- 5. --json adds up and matches the files ------------------------------------------------


def test_json_summary_adds_up_and_matches_the_zip(
    env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    fakeweb.add_catalog("json cats", cat.troubled(90, prefix="json", base_seed=110_000))
    out = tmp_path / "json.zip"
    done = run(env, "get", "json cats", "-n", "40", "-s", "bing", "-o", str(out), "--json")
    assert done.returncode == EXIT_OK, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1
    s = json.loads(done.stdout)
    assert s["tried"] == s["kept"] + sum(s["rejected"].values()) + s["surplus"]
    assert s["rejected"], "a troubled catalog must reject something"
    assert s["delivered"] == s["kept"] == s["wanted"] == 40
    assert s["output"] == str(out) and s["sources_used"] == ["bing"]
    assert s["sources_failed"] == {} and s["seconds"] > 0
    files, rows = read_zip(out)
    assert len(files) == len(rows) == s["delivered"]
    assert "candidates tried" in done.stderr  # the table goes to stderr


# -- 6. non-Latin queries get distinct archive names ----------------------------------------


def test_two_non_latin_queries_give_two_archive_names(env: dict[str, str], tmp_path: Path) -> None:
    names = []
    for query in ("кошки", "猫"):
        done = run(env, "get", query, "-n", "2", "-s", "bing", "--json", cwd=tmp_path)
        assert done.returncode == EXIT_OK, done.stderr
        names.append(json.loads(done.stdout)["output"])
    assert names == ["кошки.zip", "猫.zip"]
    assert sorted(p.name for p in tmp_path.glob("*.zip")) == sorted(names)
    for name in names:
        assert zipfile.is_zipfile(tmp_path / name)
