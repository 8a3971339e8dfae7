"""Gallery thumbnails: a small JPEG made from an image's bytes."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

THUMB_BOX = (480, 480)


def thumbnail(data: bytes, box: tuple[int, int] = THUMB_BOX) -> bytes:
    """A JPEG no larger than ``box``, upright, transparency flattened onto white."""
    with Image.open(io.BytesIO(data)) as image:
        image.seek(0)
        small = ImageOps.exif_transpose(image.copy())
    small.thumbnail(box)
    if small.mode not in ("RGB", "L"):
        rgba = small.convert("RGBA")
        small = Image.new("RGB", rgba.size, "white")
        small.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()
