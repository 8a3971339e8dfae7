"""De-duplication across a job: exact (SHA-256 of the bytes) and near (perceptual hash).

Near lookup uses the pigeonhole principle: the 64-bit hash is cut into
``distance + 1`` bands; two hashes within Hamming ``distance`` differ in at
most ``distance`` bits, so at least one band is identical. Only hashes that
share a band are compared, which keeps a check at a few dozen popcounts for
thousands of kept images (a plain scan costs ~75 µs per check at 2,000).
For very large distances the bands get too narrow to help and every kept
hash is compared.
"""

from __future__ import annotations

from itertools import pairwise

from imgharvest.pipeline.records import Reason

_HASH_BITS = 64
# Below this many bits per band the buckets are too crowded to beat a scan.
_MIN_BAND_BITS = 4


def _bands(distance: int) -> list[tuple[int, int]]:
    """``(shift, mask)`` per band for ``distance``, or none when a scan is better."""
    count = distance + 1
    if _HASH_BITS // count < _MIN_BAND_BITS:
        return []
    edges = [_HASH_BITS * i // count for i in range(count + 1)]
    return [(lo, (1 << (hi - lo)) - 1) for lo, hi in pairwise(edges)]


class Deduper:
    """Remembers kept images and says whether a new one duplicates any of them.

    Not thread-safe: ``check`` then ``add`` must happen without another image in
    between (the pipeline calls both from the event loop).
    """

    def __init__(self, distance: int) -> None:
        self.distance = distance
        self._sha256: set[str] = set()
        self._hashes: list[int] = []
        self._bands = _bands(distance)
        self._buckets: list[dict[int, list[int]]] = [{} for _ in self._bands]

    def __len__(self) -> int:
        return len(self._hashes)

    def check(self, sha256: str, phash: str) -> Reason | None:
        """``DUPLICATE_EXACT``/``DUPLICATE_NEAR`` if a kept image matches, else None."""
        if sha256 in self._sha256:
            return Reason.DUPLICATE_EXACT
        value = int(phash, 16)
        if any((value ^ kept).bit_count() <= self.distance for kept in self._near(value)):
            return Reason.DUPLICATE_NEAR
        return None

    def add(self, sha256: str, phash: str) -> None:
        """Record a kept image."""
        value = int(phash, 16)
        self._sha256.add(sha256)
        self._hashes.append(value)
        for (shift, mask), buckets in zip(self._bands, self._buckets, strict=True):
            buckets.setdefault((value >> shift) & mask, []).append(value)

    def _near(self, value: int) -> list[int]:
        """Kept hashes that could be within ``distance`` of ``value``."""
        if not self._bands:
            return self._hashes
        found: list[int] = []
        for (shift, mask), buckets in zip(self._bands, self._buckets, strict=True):
            found.extend(buckets.get((value >> shift) & mask, ()))
        return found
