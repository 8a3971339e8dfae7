"""Deduper: exact and near duplicates, on real images and against a brute-force scan."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from imgharvest.pipeline.dedupe import Deduper
from imgharvest.pipeline.records import Filters, Reason, Verified
from imgharvest.pipeline.verify import verify
from tests.fakeweb.images import make_image, near_copy

DEFAULT_DISTANCE = 6


def _fingerprint(tmp_path: Path, data: bytes) -> tuple[str, str]:
    path = tmp_path / hashlib.sha256(data).hexdigest()
    path.write_bytes(data)
    result = verify(path, max_pixels=10**8, filters=Filters())
    assert isinstance(result, Verified), result
    return hashlib.sha256(data).hexdigest(), result.phash


def test_exact_duplicate(tmp_path: Path) -> None:
    dedupe = Deduper(DEFAULT_DISTANCE)
    sha, phash = _fingerprint(tmp_path, make_image(1))
    assert dedupe.check(sha, phash) is None
    dedupe.add(sha, phash)
    assert dedupe.check(sha, phash) == Reason.DUPLICATE_EXACT
    assert len(dedupe) == 1


@pytest.mark.parametrize("size", [(320, 240), (1600, 1200)])
def test_near_copies_are_caught(tmp_path: Path, size: tuple[int, int]) -> None:
    dedupe = Deduper(DEFAULT_DISTANCE)
    for seed in range(20):
        dedupe.add(*_fingerprint(tmp_path, make_image(seed, *size)))
    for seed in range(20):
        copy = _fingerprint(tmp_path, near_copy(make_image(seed, *size)))
        assert dedupe.check(*copy) == Reason.DUPLICATE_NEAR, seed


def test_fifty_distinct_images_are_all_kept(tmp_path: Path) -> None:
    dedupe = Deduper(DEFAULT_DISTANCE)
    for seed in range(50):
        fingerprint = _fingerprint(tmp_path, make_image(seed))
        assert dedupe.check(*fingerprint) is None, seed
        dedupe.add(*fingerprint)
    assert len(dedupe) == 50


def test_distance_zero_needs_an_identical_phash() -> None:
    dedupe = Deduper(0)
    dedupe.add("a", "00000000000000ff")
    assert dedupe.check("b", "00000000000000ff") == Reason.DUPLICATE_NEAR
    assert dedupe.check("c", "00000000000000fe") is None


def _brute(kept: list[int], value: int, distance: int) -> bool:
    return any((value ^ k).bit_count() <= distance for k in kept)


@pytest.mark.parametrize("distance", [0, 1, 6, 10, 15, 16, 30, 64])
def test_band_index_agrees_with_a_full_scan(distance: int) -> None:
    rng = random.Random(distance)
    dedupe, kept = Deduper(distance), list[int]()
    for i in range(400):
        value = rng.getrandbits(64)
        if kept and rng.random() < 0.5:  # a close variant of a kept hash
            value = rng.choice(kept)
            for bit in rng.sample(range(64), rng.randrange(min(distance + 3, 64))):
                value ^= 1 << bit
        near = dedupe.check(f"sha{i}", f"{value:016x}") == Reason.DUPLICATE_NEAR
        assert near == _brute(kept, value, distance), (i, distance)
        if not near:
            dedupe.add(f"sha{i}", f"{value:016x}")
            kept.append(value)


@pytest.mark.parametrize("distance", [1, 6, 10, 15, 20])
def test_differences_spread_over_the_whole_hash(distance: int) -> None:
    dedupe = Deduper(distance)
    dedupe.add("a", f"{0x0123456789ABCDEF:016x}")
    spread = [i * 64 // distance for i in range(distance)]
    within = 0x0123456789ABCDEF ^ sum(1 << bit for bit in spread)
    assert dedupe.check("b", f"{within:016x}") == Reason.DUPLICATE_NEAR
    beyond = within ^ (1 << 63 if 63 not in spread else 1 << 62)
    assert dedupe.check("c", f"{beyond:016x}") is None
