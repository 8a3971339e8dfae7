"""Acceptance (issue 17, case 7): help that teaches. ``get --help`` lists the formats and the
source names with no ``<bool>``; every command's help shows no type placeholder and no RST
markup, names the choices of its options, and ends with examples."""

from __future__ import annotations

import re
from typing import Any

import pytest
from typer.testing import CliRunner

from imgharvest.cli.app import EXIT_OK, app
from imgharvest.dataset.spec import FORMATS
from imgharvest.service.jobdata import STATUSES
from imgharvest.sources import MODULES

COMMANDS = [
    [], ["get"], ["crawl"], ["fetch"], ["sources"], ["serve"], ["worker"], ["jobs"],
    ["jobs", "list"], ["jobs", "inspect"], ["db"], ["db", "upgrade"], ["db", "check"],
]  # fmt: skip
PLACEHOLDER = re.compile(r"<(bool|int|str|float|path|text|integer)[^>]*>", re.IGNORECASE)


def help_of(*command: str) -> str:
    result: Any = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "160"})
    assert result.exit_code == EXIT_OK, result.output
    return str(result.output)


def test_get_help_lists_the_formats_and_the_sources_without_bool() -> None:
    text = help_of("get")
    assert "<bool>" not in text
    for name in FORMATS:
        assert name in text
    for name in [m for m in MODULES if m != "pages"]:
        assert name in text, name
    for choice in ("any, open, commercial", "jpeg, webp, png", "keep, first"):
        assert choice in text
    assert "[default: 20]" in text


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "imgharvest")
def test_every_help_teaches(command: list[str]) -> None:
    text = help_of(*command)
    assert not PLACEHOLDER.search(text), PLACEHOLDER.search(text)
    assert "``" not in text
    tail = text.rstrip().splitlines()
    examples = [line for line in tail[tail.index(next(ln for ln in tail if "Examples:" in ln)) :]]
    assert 2 <= len(examples) <= 4, examples  # the heading and two or three examples
    assert all("imgharvest" in line for line in examples[1:]), examples


def test_jobs_list_names_every_status() -> None:
    text = " ".join(help_of("jobs", "list").split())
    assert ", ".join(STATUSES) in text
