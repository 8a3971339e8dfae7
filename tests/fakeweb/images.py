"""Deterministic, perceptually distinct test images (and broken ones)."""

from __future__ import annotations

import io
import random
import zlib
from functools import lru_cache

from PIL import Image, ImageDraw


@lru_cache(maxsize=4096)
def make_image(seed: int, width: int = 320, height: int = 240, fmt: str = "JPEG") -> bytes:
    """An image whose content (blocks of random colour) differs per seed, even perceptually."""
    rng = random.Random(seed)
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    cols, rows = 8, 6
    cw, ch = width / cols, height / rows
    for r in range(rows):
        for c in range(cols):
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            box = (int(c * cw), int(r * ch), int((c + 1) * cw), int((r + 1) * ch))
            draw.rectangle(box, fill=colour)
    return encode(img, fmt)


def encode(img: Image.Image, fmt: str, quality: int = 90) -> bytes:
    """Encode an image in a format (JPEG gets ``quality``)."""
    buf = io.BytesIO()
    kwargs = {"quality": quality} if fmt == "JPEG" else {}
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def near_copy(data: bytes) -> bytes:
    """A re-encoded, resized copy: other bytes, same picture to a perceptual hash."""
    img = Image.open(io.BytesIO(data)).convert("RGB")
    smaller = img.resize((img.width * 3 // 4, img.height * 3 // 4), Image.Resampling.LANCZOS)
    return encode(smaller, "JPEG", quality=70)


def truncated(data: bytes) -> bytes:
    """The first half of an image file."""
    return data[: len(data) // 2]


HTML_AS_IMAGE = b"<!doctype html><html><body><h1>Access denied</h1></body></html>"


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body)
    return len(body).to_bytes(4, "big") + kind + body + crc.to_bytes(4, "big")


@lru_cache(maxsize=4)
def bomb_png(side: int = 30000) -> bytes:
    """A tiny valid all-black 1-bit PNG claiming ``side`` x ``side`` pixels (a decompression bomb).

    Written row by row, so building it never holds the raw image in memory.
    """
    ihdr = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])
    row = bytes(1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    chunks = _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks
