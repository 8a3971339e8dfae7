"""Dataset options: one validator for CLI values, each bad value named."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgharvest.dataset.options import (
    build_spec,
    format_for,
    parse_queries,
    parse_split,
    read_queries,
)
from imgharvest.dataset.spec import DatasetSpec, QueryClass
from imgharvest.errors import InputError


def test_defaults_change_nothing() -> None:
    spec = build_spec()
    assert spec == DatasetSpec() and not spec.reshapes
    assert build_spec(max_side=256).reshapes and build_spec(animated="first").reshapes


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"format": "tar"}, "format"),
        ({"shard_size": 0}, "shard-size"),
        ({"max_side": -1}, "max-side"),
        ({"min_side": 20_001}, "min-side"),
        ({"max_aspect": 0.5}, "max-aspect"),
        ({"convert": "gif"}, "convert"),
        ({"quality": 0}, "quality"),
        ({"animated": "loop"}, "animated"),
        ({"licence": "free"}, "licence"),
        ({"split": "80,20,0,0"}, "split"),
    ],
)
def test_bad_values_name_their_option(values: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as caught:
        build_spec(**values)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("80,10", "adding up to 100"),
        ("50,60", "adding up to 100"),
        ("100", "2 or 3"),
        ("-10,110", "non-negative"),
        ("a,b", "whole numbers"),
    ],
)
def test_split_must_be_two_or_three_percentages(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_split(text)


def test_split_parses() -> None:
    assert parse_split("80,10,10") == (80, 10, 10) and parse_split(" ") == ()
    assert parse_split("90, 10") == (90, 10)


def test_queries_file_with_names_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "q.txt"
    path.write_text("# animals\nRed Fox\tred fox in snow\n\n  grey   wolf \nOwl\t  owl  \n")
    assert read_queries(path) == [
        QueryClass("red-fox", "red fox in snow"),
        QueryClass("grey-wolf", "grey wolf"),
        QueryClass("owl", "owl"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# nothing\n\n", "no queries"),
        ("cat\nCat\n", "share the folder 'cat'"),
        ("Name\t \n", "no query"),
        ("x" * 201, "longer than 200"),
    ],
)
def test_bad_queries_files(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_queries(text)


def test_unreadable_queries_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_queries(tmp_path / "missing.txt")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="cannot read"):
        read_queries(tmp_path / "bin.txt")


def test_format_follows_the_output_path() -> None:
    assert format_for(None) == "zip" and format_for(Path("a.ZIP")) == "zip"
    assert format_for(Path("out")) == "dir"
