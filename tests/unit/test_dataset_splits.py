"""Splits by a stable hash of the SHA-256: deterministic, independent, in proportion."""

from __future__ import annotations

import hashlib
from collections import Counter

from imgharvest.dataset.splits import assign


def _shas(n: int) -> list[str]:
    return [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]


def test_same_sha_same_split_whatever_else_is_there() -> None:
    shas = _shas(500)
    first = {s: assign(s, (80, 10, 10)) for s in shas}
    again = {s: assign(s, (80, 10, 10)) for s in reversed(shas[:100])}
    assert all(first[s] == split for s, split in again.items())


def test_proportions_follow_the_weights() -> None:
    counts = Counter(assign(s, (80, 10, 10)) for s in _shas(5000))
    assert set(counts) == {"train", "val", "test"}
    assert 3850 < counts["train"] < 4150 and 420 < counts["val"] < 580


def test_two_way_zero_weight_and_none() -> None:
    shas = _shas(200)
    assert {assign(s, (70, 30)) for s in shas} == {"train", "val"}
    assert {assign(s, (100, 0, 0)) for s in shas} == {"train"}
    assert {assign(s, (0, 100)) for s in shas} == {"val"}
    assert assign(shas[0], ()) == ""
    assert assign("f" * 64, (50, 50)) == "val" and assign("0" * 64, (50, 50)) == "train"
