"""Train/val/test assignment by a stable hash of the image's SHA-256.

The same bytes always land in the same split, whatever the run, the order or
the other images: the first 64 bits of the SHA-256 are a uniform number in
``[0, 1)`` that is compared with the cumulative weights.
"""

from __future__ import annotations

from imgharvest.dataset.spec import SPLIT_NAMES

_SCALE = float(2**64)


def split_names(weights: tuple[int, ...]) -> tuple[str, ...]:
    """``train``, ``val``, ``test``: as many names as weights."""
    return SPLIT_NAMES[: len(weights)]


def assign(sha256: str, weights: tuple[int, ...]) -> str:
    """The split of an image with this SHA-256 (hex) for these weights; ``""`` without splits."""
    if not weights:
        return ""
    point = int(sha256[:16], 16) / _SCALE * sum(weights)
    edge = 0
    for name, weight in zip(split_names(weights), weights, strict=True):
        edge += weight
        if point < edge:
            return name
    return split_names(weights)[-1]
