"""Acceptance (issue 17, case 3): every ``imgharvest …`` command in the README runs as written,
against a fake web of its own, each in a fresh folder.

What the test changes, and only this: every source's base URL points at the fake web (the
``IMGHARVEST_*_URL`` settings the README documents), loopback is let through the guard;
counts are a tenth of the README's (``-n 1000`` → ``-n 100``, ``--shard-size 250`` → 25);
``https://example.org/gallery`` is the fake web's crawlable site, ``…/feed`` its scripted
page, ``…/a.jpg`` one of its images; ``pages.txt``, ``urls.txt`` and ``classes.txt`` are
written with fake-web pages, images and two queries; ``--port 8000`` is a free port and
``--host 0.0.0.0`` is 127.0.0.1; ``| jq .delivered`` is read with ``json``. ``serve`` and
``worker`` run as processes until they answer, then are stopped.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from imgharvest.cli.app import EXIT_OK, app
from tests.conftest import free_port
from tests.e2e.test_readme import wait_for_page
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat
from tests.fakeweb.render import LAZY_BACKGROUND, LAZY_IMAGES
from tests.task_check import assert_no_lost_task

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("BING", "DUCKDUCKGO", "GOOGLE", "OPENVERSE", "WIKIMEDIA", "FLICKR", "PEXELS",
           "PIXABAY", "UNSPLASH")  # fmt: skip
SERVICE = ("serve", "worker")


def readme_commands() -> list[list[str]]:
    """Every distinct ``imgharvest`` command line of the README's console blocks, as words."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = re.findall(r"^\$ (?:\.venv/bin/)?(imgharvest .*)$", text, re.M)
    unique = dict.fromkeys(tuple(shlex.split(line, comments=True)) for line in lines)
    return [list(words) for words in unique]


def command_id(words: list[str]) -> str:
    return " ".join(words[1:])[:60]


@pytest.fixture(scope="module")
def web() -> Iterator[FakeWeb]:
    """A fake web of this module's own: big "red fox" pictures (for --min-width 800), pages
    whose images exist, and a crawlable site."""
    with FakeWeb() as fw:
        big = [cat.FakeImage(f"readme{i}", 700_000 + i, width=1024, height=768)
               for i in range(160)]  # fmt: skip
        fw.add_catalog("red fox", big)
        pictures = [cat.FakeImage(f"fbk-small-{n}", 701_000 + n) for n in (1, 2)]
        pictures += [cat.FakeImage(f"fbk-big-{n}", 701_010 + n, width=900, height=600)
                     for n in (1, 2)]  # fmt: skip
        fw.add_catalog("gallery", pictures)  # the images of /site/fallback/gallery.html
        yield fw


def environment(fw: FakeWeb, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMGHARVEST_")}
    env.update({f"IMGHARVEST_{name}_URL": fw.url for name in SOURCES})
    env.update(IMGHARVEST_ALLOWED_NETWORKS="127.0.0.0/8", IMGHARVEST_DATA_DIR=str(folder / "data"),
               IMGHARVEST_WORKERS="1", COLUMNS="200")  # fmt: skip
    return env


def adapt(words: list[str], fw: FakeWeb, folder: Path) -> tuple[list[str], bool]:
    """The command as run here (see the module's docstring), and whether it pipes to jq."""
    piped = "|" in words
    words = words[: words.index("|")] if piped else list(words)
    urls = {"https://example.org/gallery": f"{fw.url}/site/crawl/index.html",
            "https://example.org/feed": f"{fw.url}/render/lazy",
            "https://example.org/a.jpg": f"{fw.url}/img/readme150.jpg"}  # fmt: skip
    scaled = {"-n": 10, "--shard-size": 10}
    out = []
    for before, word in zip(["", *words], words, strict=False):
        if before in scaled:
            word = str(max(2, int(word) // scaled[before]))
        elif before == "--port":
            word = str(free_port())
        elif before == "--host":
            word = "127.0.0.1"
        out.append(urls.get(word, word))
    (folder / "pages.txt").write_text(f"{fw.url}/site/fallback/gallery.html\n", encoding="utf-8")
    (folder / "urls.txt").write_text(
        "".join(f"{fw.url}/img/readme{i}.jpg\n" for i in range(151, 155)), encoding="utf-8"
    )
    (folder / "classes.txt").write_text("red fox\ngrey wolf\n", encoding="utf-8")
    assert not any("example.org" in word for word in out), f"not adapted: {out}"
    return out, piped


COMMANDS = readme_commands()
ONE_SHOT = [c for c in COMMANDS if c[1] not in SERVICE and "--render" not in c]


def test_the_readme_has_the_commands_this_test_knows() -> None:
    kinds = {c[1] for c in COMMANDS}
    assert kinds == {"--version", "get", "crawl", "sources", "fetch", "serve", "worker"}, kinds
    assert len(ONE_SHOT) >= 11


@pytest.mark.parametrize("words", ONE_SHOT, ids=command_id)
def test_each_one_shot_command_runs_as_written(
    words: list[str], web: FakeWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args, piped = adapt(words, web, tmp_path)
    result: Any = CliRunner().invoke(app, args[1:], env=environment(web, tmp_path),
                                     catch_exceptions=False)  # fmt: skip
    assert result.exit_code == EXIT_OK, (args, result.output)
    if piped:
        assert json.loads(result.stdout)["delivered"] == 10  # what `jq .delivered` prints
    out = args[args.index("-o") + 1] if "-o" in args else None
    if out is not None:
        assert (tmp_path / out).exists(), out


@pytest.mark.browser
def test_the_render_command_runs_as_written(
    web: FakeWeb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [words] = [c for c in COMMANDS if "--render" in c]
    monkeypatch.chdir(tmp_path)
    args, _ = adapt(words, web, tmp_path)
    result: Any = CliRunner().invoke(app, args[1:], env=environment(web, tmp_path),
                                     catch_exceptions=False)  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    assert [line.removeprefix(web.url) for line in result.stdout.split()] == [
        *LAZY_IMAGES,
        LAZY_BACKGROUND,
    ]


def started_worker(proc: subprocess.Popen[str]) -> bool:
    """Whether the worker says it runs, within its first 80 lines."""
    assert proc.stderr is not None
    for number, line in enumerate(proc.stderr):
        if "worker with" in line:
            return True
        if number >= 80:
            break
    return False


@pytest.mark.slow
@pytest.mark.parametrize("words", [c for c in COMMANDS if c[1] in SERVICE], ids=command_id)
def test_each_service_command_starts_as_written(
    words: list[str], web: FakeWeb, tmp_path: Path
) -> None:
    args, _ = adapt(words, web, tmp_path)
    env = environment(web, tmp_path)
    port = args[args.index("--port") + 1] if "--port" in args else str(free_port())
    env["IMGHARVEST_PORT"] = port
    proc = subprocess.Popen([sys.executable, "-m", "imgharvest", *args[1:]], env=env,
                            cwd=tmp_path, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    try:
        if args[1] == "serve":
            assert 'name="search-query"' in wait_for_page(f"http://127.0.0.1:{port}/", proc)
            noted = (tmp_path / "data" / "served_url").read_text(encoding="utf-8").strip()
            assert noted == f"http://127.0.0.1:{port}"  # for `jobs inspect`'s links
        else:
            assert started_worker(proc), "the worker did not start"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert_no_lost_task(stderr or "")
