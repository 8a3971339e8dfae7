"""Scriptable CLI (issue 7): --version, -q/-v, --json, fetch URL arguments, crawl output,
validated options, the TOML config file, and "every chosen source unavailable" exiting 1."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from imgharvest import __version__
from imgharvest.cli.app import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, app
from tests.fakeweb import FakeWeb
from tests.fakeweb import catalog as cat


def invoke(env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env, input=stdin, catch_exceptions=False)


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == EXIT_OK
    assert result.stdout.strip() == f"imgharvest {__version__}"


def test_every_chosen_source_unavailable_exits_1(cli_env: dict[str, str], tmp_path: Path):
    out = tmp_path / "keys.zip"
    result = invoke(cli_env, "get", "cats", "-n", "3", "-s", "flickr,pexels", "-o", str(out))
    assert result.exit_code == EXIT_FAILED, result.output
    assert "every chosen source is unavailable" in result.stderr
    assert "IMGHARVEST_FLICKR_API_KEY" in result.stderr and not out.exists()


def test_unknown_format_is_bad_input(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = invoke(cli_env, "get", "cats", "--formats", "jpg,bogus", "-o", str(tmp_path / "f"))
    assert result.exit_code == EXIT_BAD_INPUT
    assert "formats" in result.stderr and "BOGUS" in result.stderr and "jpeg" in result.stderr


def test_jobs_list_rejects_an_unknown_status(cli_env: dict[str, str]) -> None:
    result = invoke(cli_env, "jobs", "list", "--status", "finished")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "'finished' is not one of" in result.stderr and "done" in result.stderr


def test_fetch_takes_urls_files_and_stdin(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    items = cat.good(4, start=140_000, prefix="fetcharg")
    fakeweb.add_catalog("fetch args", items)
    urls = [fakeweb.image_url(i) for i in items]
    listed = tmp_path / "urls.txt"
    listed.write_text(f"# a comment\n{urls[2]}\nnot a url at all\n", encoding="utf-8")
    out = tmp_path / "fetched"
    result = invoke(cli_env, "fetch", urls[0], urls[1], str(listed), "-", "-o", str(out), "--json",
                    stdin=f"{urls[3]}\nftp://{fakeweb.url.split('//')[1]}/x.jpg\n")  # fmt: skip
    assert result.exit_code == 3, result.output  # two lines are not images to fetch
    summary = json.loads(result.stdout)
    assert summary["kept"] == 4 and summary["rejected"] == {"invalid_url": 2}
    assert summary["tried"] == 6 == summary["wanted"]
    assert len(list((out / "images").iterdir())) == 4


def test_crawl_download_prints_links_only_when_asked(
    cli_env: dict[str, str], fakeweb: FakeWeb, tmp_path: Path
) -> None:
    page = f"{fakeweb.url}/site/crawl/index.html"
    quiet = invoke(cli_env, "crawl", page, "--download", "-o", str(tmp_path / "a.zip"))
    assert "http" not in quiet.stdout
    shown = invoke(cli_env, "crawl", page, "--download", "--print-links",
                   "-o", str(tmp_path / "b.zip"))  # fmt: skip
    assert f"{fakeweb.url}/img/crawl-0.jpg" in shown.stdout.splitlines()
    listed = invoke(cli_env, "crawl", page, "--json")
    assert listed.exit_code == EXIT_OK
    assert f"{fakeweb.url}/img/crawl-0.jpg" in json.loads(listed.stdout)["links"]


def test_quiet_shows_no_table_and_verbose_shows_events(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    quiet = invoke(cli_env, "get", "quiet cats", "-n", "2", "-s", "bing", "-q",
                   "-o", str(tmp_path / "q.zip"))  # fmt: skip
    assert quiet.exit_code == EXIT_OK and quiet.stderr == "" and quiet.stdout == ""
    loud = invoke(cli_env, "-v", "get", "quiet cats", "-n", "2", "-s", "bing",
                  "-o", str(tmp_path / "v.zip"))  # fmt: skip
    assert loud.exit_code == EXIT_OK
    assert "bing:" in loud.stderr and "candidates tried" in loud.stderr


def test_config_file_under_the_environment(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("imgharvest.toml").write_text("sources = ['bing']\n", encoding="utf-8")
    from_file = invoke(cli_env, "get", "toml cats", "-n", "2", "-o", "t.zip", "--json")
    assert from_file.exit_code == EXIT_OK, from_file.output
    assert json.loads(from_file.stdout)["sources_used"] == ["bing"]
    env_wins = invoke({**cli_env, "IMGHARVEST_SOURCES": "duckduckgo"}, "get", "toml cats", "-n",
                      "2", "-o", "t2.zip", "--json")  # fmt: skip
    assert env_wins.exit_code == EXIT_OK, env_wins.output
    assert json.loads(env_wins.stdout)["sources_used"] == ["duckduckgo"]
    other = tmp_path / "other.toml"
    other.write_text("imgharvest_sources = 'openverse'\n", encoding="utf-8")
    chosen = invoke(cli_env, "--config", str(other), "get", "toml cats", "-n", "2", "-o", "u.zip",
                    "--json")  # fmt: skip
    assert chosen.exit_code == EXIT_OK, chosen.output
    assert json.loads(chosen.stdout)["sources_used"] == ["openverse"]
    other.write_text("max_imagez = 2\n", encoding="utf-8")
    typo = invoke(cli_env, "--config", str(other), "get", "toml cats", "-o", "v.zip")
    assert typo.exit_code == EXIT_BAD_INPUT and "unknown setting 'max_imagez'" in typo.stderr
    missing = invoke(cli_env, "--config", str(tmp_path / "nope.toml"), "get", "x", "-o", "w.zip")
    assert missing.exit_code == EXIT_BAD_INPUT and "nope.toml" in missing.stderr


def test_crawl_blames_the_address_or_the_connection_not_robots(cli_env: dict[str, str]) -> None:
    from tests.conftest import free_port

    closed = f"http://127.0.0.1:{free_port()}/page.html"
    result = invoke(cli_env, "crawl", "http://10.1.2.3/page.html", closed)
    assert result.exit_code == EXIT_FAILED
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("WARNING")]
    assert len(warnings) == 2, result.stderr
    assert "10.1.2.3/page.html could not be fetched (blocked address" in warnings[0]
    assert f"{closed} could not be fetched (connection)" in warnings[1]
    assert "robots" not in " ".join(warnings)


def test_a_run_in_process_leaves_the_logger_as_it_found_it(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    logger = logging.getLogger("imgharvest")
    before = (logger.level, logger.propagate, list(logger.handlers))
    result = invoke(cli_env, "get", "cats", "-n", "1", "-s", "nosuch", "-o", str(tmp_path / "x"))
    assert result.exit_code == EXIT_BAD_INPUT
    assert (logger.level, logger.propagate, list(logger.handlers)) == before
