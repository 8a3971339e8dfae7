"""Thumbnails made once, where the images are: small JPEGs in one object with an index in
front, so a gallery page of a big job costs two ranged reads (the page's offsets, then its
bytes), not one read of the archive's directory per tile.

Layout: ``IHTHUMB1``, the count (uint32), ``count + 1`` offsets (uint64, from the start of
the data), then the JPEGs one after the other. An image that cannot be made small has an
empty entry (the page then makes that tile from the archive).
"""

from __future__ import annotations

import io
import itertools
import struct
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps

from imgharvest.pipeline.package import atomic_file

MAGIC = b"IHTHUMB1"
HEAD = struct.Struct("<8sI")
OFFSET = struct.Struct("<Q")
THUMB_BOX = (320, 320)
QUALITY = 75
ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error, Image.DecompressionBombError)


def thumbnail(source: bytes | Path, box: tuple[int, int] = THUMB_BOX) -> bytes:
    """A JPEG no larger than ``box``, upright, transparency flattened onto white (a JPEG is
    decoded at a reduced scale: a few milliseconds for a photo)."""
    with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as image:
        image.draft("RGB", box)  # JPEG: decode at 1/2, 1/4 or 1/8 scale, enough for the box
        image.seek(0)
        small = ImageOps.exif_transpose(image.copy())
    small.thumbnail(box)
    if small.mode not in ("RGB", "L"):
        rgba = small.convert("RGBA")
        small = Image.new("RGB", rgba.size, "white")
        small.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def thumbnail_or_empty(path: Path) -> bytes:
    """The thumbnail of a file, or empty bytes when it cannot be made."""
    try:
        return thumbnail(path)
    except ERRORS:
        return b""


def made(paths: Sequence[Path], threads: int = 4) -> list[bytes]:
    """Thumbnails of many files, in order (Pillow decodes outside the GIL: in parallel)."""
    with ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(thumbnail_or_empty, paths))


def write_pack(thumbs: Sequence[bytes], dest: Path) -> Path:
    """One pack of ``thumbs`` at ``dest`` (atomically)."""
    offsets, at = [0], 0
    for thumb in thumbs:
        at += len(thumb)
        offsets.append(at)
    with atomic_file(dest) as tmp, tmp.open("wb") as out:
        out.write(HEAD.pack(MAGIC, len(thumbs)))
        out.write(b"".join(OFFSET.pack(o) for o in offsets))
        out.writelines(thumbs)
    return dest


def read_pack(reader: BinaryIO, first: int, count: int) -> list[bytes]:
    """Thumbnails ``first`` to ``first + count`` (fewer at the end) of the pack ``reader``
    reads: the head, the offsets of that range, then its bytes (three small reads, the first
    two usually one buffered read)."""
    magic, total = HEAD.unpack(reader.read(HEAD.size))
    if magic != MAGIC:
        raise ValueError("not a thumbnail pack")
    first, last = max(0, first), min(total, first + count)
    if last <= first:
        return []
    reader.seek(HEAD.size + first * OFFSET.size)
    raw = reader.read((last - first + 1) * OFFSET.size)
    offsets = [OFFSET.unpack_from(raw, i * OFFSET.size)[0] for i in range(last - first + 1)]
    reader.seek(HEAD.size + (total + 1) * OFFSET.size + offsets[0])
    data = reader.read(offsets[-1] - offsets[0])
    base = offsets[0]
    return [data[a - base : b - base] for a, b in itertools.pairwise(offsets)]


def without(src: BinaryIO, drop: set[int], dest: Path) -> Path:
    """The pack ``src`` again without the entries at ``drop`` (positions in it)."""
    _, total = HEAD.unpack(src.read(HEAD.size))
    src.seek(0)
    thumbs = read_pack(src, 0, total)
    return write_pack([t for i, t in enumerate(thumbs) if i not in drop], dest)
