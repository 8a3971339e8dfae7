"""Catalogs: which images a fake search answers with for a query, and how each misbehaves."""

from __future__ import annotations

import random
from dataclasses import dataclass

from tests.fakeweb import images

KINDS = ("good", "404", "truncated", "html", "dup_exact", "dup_near", "flaky", "slow")
SLOW_SECONDS = 0.25  # how long the image host takes to answer for a "slow" image


@dataclass(frozen=True)
class FakeImage:
    """One image on the fake image host; ``kind`` says how it is served."""

    id: str
    seed: int
    kind: str = "good"
    of: int | None = None  # the seed this one duplicates
    width: int = 320
    height: int = 240
    fmt: str = "JPEG"

    @property
    def path(self) -> str:
        """Path on the fake host (no extension on purpose for some: the bytes decide)."""
        return f"/img/{self.id}.jpg"

    @property
    def title(self) -> str:
        return f"Image {self.id}"

    def body(self) -> bytes:
        """The bytes this image is served with (for kinds that have a body)."""
        if self.kind == "dup_exact":
            assert self.of is not None
            return images.make_image(self.of, self.width, self.height, self.fmt)
        if self.kind == "dup_near":
            assert self.of is not None
            return images.near_copy(images.make_image(self.of, self.width, self.height, self.fmt))
        if self.kind == "html":
            return images.HTML_AS_IMAGE
        data = images.make_image(self.seed, self.width, self.height, self.fmt)
        return images.truncated(data) if self.kind == "truncated" else data


def good(count: int, start: int = 0, prefix: str = "g") -> list[FakeImage]:
    """``count`` distinct good images."""
    return [FakeImage(id=f"{prefix}{start + i}", seed=start + i) for i in range(count)]


def slow(count: int, start: int = 0, prefix: str = "slow") -> list[FakeImage]:
    """``count`` distinct good images, each answered after ``SLOW_SECONDS``."""
    return [FakeImage(f"{prefix}{start + i}", start + i, "slow") for i in range(count)]


def troubled(
    total: int, seed: int = 7, prefix: str = "t", base_seed: int = 10_000
) -> list[FakeImage]:
    """``total`` candidates: 10% 404, 5% truncated, 5% HTML-as-JPEG, 10% duplicates
    (half exact, half re-encoded and resized), the rest good; shuffled reproducibly."""
    n404, ntrunc, nhtml, ndup = total // 10, total // 20, total // 20, total // 10
    ngood = total - n404 - ntrunc - nhtml - ndup
    items = [FakeImage(f"{prefix}{i}", base_seed + i) for i in range(ngood)]
    bad = [("404", n404), ("truncated", ntrunc), ("html", nhtml)]
    k = ngood
    for kind, count in bad:
        items += [FakeImage(f"{prefix}{k + i}", base_seed + k + i, kind) for i in range(count)]
        k += count
    for i in range(ndup):
        kind = "dup_exact" if i % 2 == 0 else "dup_near"
        items.append(FakeImage(f"{prefix}{k + i}", base_seed + k + i, kind, of=base_seed + i))
    random.Random(seed).shuffle(items)
    return items
