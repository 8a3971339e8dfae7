"""The JSON pre-scan of request bodies: right about depth and items, linear on its most hostile
megabyte, and off the event loop for a body past a small size."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from imgharvest.web import limits
from imgharvest.web.limits import MAX_JSON_DEPTH, MAX_JSON_ITEMS, json_problem

MIB = 2**20
DEEP = f"nested deeper than {MAX_JSON_DEPTH} levels"
MANY = f"more than {MAX_JSON_ITEMS} items"

# Each the most expensive megabyte of one shape for a string scanner; the first one took the
# old backtracking pattern 13 s for 64 KB and more than an hour for the megabyte.
HOSTILE = {
    "quote then escaped quotes": b'"' + b'\\"' * (MIB // 2),
    "only quotes": b'"' * MIB,
    "quote backslash pairs": b'"\\' * (MIB // 2),
    "unterminated strings with escapes": b'"a\\' * (MIB // 3),
    "escaped newlines": b'["' + b"\\\n" * (MIB // 2),
    "unicode escapes": b'"' + b"\\u00e9" * (MIB // 6 - 1) + b'"',
    "only backslashes": b"\\" * MIB,
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_most_hostile_megabyte_is_scanned_in_linear_time(body: bytes) -> None:
    started = time.perf_counter()
    assert json_problem(body) is None
    # Linear: about 40 ms here; the quadratic scan needed hours for a megabyte.
    assert time.perf_counter() - started < 1.0


def test_brackets_and_commas_inside_strings_are_not_structure() -> None:
    inside = '"' + "[{," * 20_000 + '\\"]"'
    assert json_problem(f'{{"a": {inside}}}'.encode()) is None


def test_an_unterminated_string_hides_nothing_before_it() -> None:
    assert DEEP in str(json_problem(b"[" * (MAX_JSON_DEPTH + 1) + b'"\\"\\"'))


def test_depth_is_counted_outside_strings() -> None:
    fits = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert json_problem(fits) is None
    assert DEEP in str(json_problem(b"[" + fits + b"]"))


def test_nested_single_item_lists_count_as_items() -> None:
    # ``[[[1]]]`` has no comma: each list is still an item the parser builds.
    block = b"[" * 30 + b"1" + b"]" * 30
    body = b"[" + b",".join([block] * (MAX_JSON_ITEMS // 30 + 1)) + b"]"
    assert MANY in str(json_problem(body))


def test_a_list_of_exactly_the_limit_passes() -> None:
    assert json_problem(b"[" + b",".join([b"1"] * MAX_JSON_ITEMS) + b"]") is None
    assert MANY in str(json_problem(b"[" + b",".join([b"1"] * (MAX_JSON_ITEMS + 1)) + b"]"))


def test_a_large_body_is_scanned_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []

    def spy(body: bytes) -> str | None:
        threads.append(threading.get_ident())
        return None

    monkeypatch.setattr(limits, "json_problem", spy)

    async def scan_both() -> int:
        await limits._scanned(b"1")
        await limits._scanned(b" " * (limits.PARSE_ON_LOOP + 1))
        return threading.get_ident()

    loop_thread = asyncio.run(scan_both())
    assert threads[0] == loop_thread and threads[1] != loop_thread
