"""Post-processing of kept images: fit within ``max_side``, convert, reduce animations.

An image that needs none of it keeps its original bytes. Otherwise it is
re-encoded once and its record gets the final width, height, format, byte
count and SHA-256 of the file written (the perceptual hash stays that of the
picture as found: resizing does not change what it shows). JPEGs are decoded
in draft mode (DCT scaling), so shrinking a large photo decodes only a
fraction of its pixels, and verification keeps that decode for us when asked
(``verify(fit=...)``). The rest is resampled bicubic (antialiased when
shrinking): as sharp as Lanczos to the eye at half its cost.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from PIL import Image, ImageSequence

from imgharvest.dataset.spec import DatasetSpec
from imgharvest.pipeline.records import ImageRecord, Verified

# Output Pillow format and file extension per --convert value.
TARGETS = {"jpeg": ("JPEG", "jpg"), "webp": ("WEBP", "webp"), "png": ("PNG", "png")}
_EXT = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "BMP": "bmp", "TIFF": "tiff"}
_ANIMATABLE = frozenset({"GIF", "WEBP", "PNG"})
# Modes each output format stores as they are; others are converted to RGB(A).
_MODES = {
    "JPEG": frozenset({"RGB", "L", "CMYK"}),
    "PNG": frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"}),
    "WEBP": frozenset({"RGB", "RGBA"}),
    "GIF": frozenset({"P", "L", "1"}),
    "BMP": frozenset({"1", "L", "P", "RGB"}),
    "TIFF": frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16"}),
}


def reshape(record: ImageRecord, spec: DatasetSpec, dest: Path) -> ImageRecord:
    """``record`` as ``spec`` wants it; a re-encoded file is written at ``dest`` (+ extension)."""
    if record.info.pixels is not None:  # decoded by verification already, at the right scale
        fmt, ext = _target(record.info, spec)
        out = dest.with_suffix("." + ext)
        size = _save(record.info.pixels, out, fmt, spec, all_frames=False)
        record.path.unlink(missing_ok=True)
        return _updated(record, out, fmt, ext, size)
    with Image.open(record.path) as img:
        animated = getattr(img, "is_animated", False)
        if not _needs_work(record.info, spec, animated):
            return record
        fmt, ext = _target(record.info, spec)
        out = dest.with_suffix("." + ext)
        keep_frames = animated and spec.animated == "keep" and fmt in _ANIMATABLE
        size = _save(img, out, fmt, spec, keep_frames)
    record.path.unlink(missing_ok=True)
    return _updated(record, out, fmt, ext, size)


def _needs_work(info: Verified, spec: DatasetSpec, animated: bool) -> bool:
    too_big = spec.max_side > 0 and max(info.width, info.height) > spec.max_side
    converts = bool(spec.convert) and TARGETS[spec.convert][0] != info.format
    return too_big or converts or (animated and spec.animated == "first")


def _target(info: Verified, spec: DatasetSpec) -> tuple[str, str]:
    if spec.convert:
        return TARGETS[spec.convert]
    if info.format in _EXT:
        return info.format, _EXT[info.format]
    return "PNG", "png"  # formats Pillow reads but should not write (AVIF...) become PNG


def _save(
    img: Image.Image, out: Path, fmt: str, spec: DatasetSpec, all_frames: bool
) -> tuple[int, int]:
    """Write the image (or all its frames) fitted and encoded; return its final size."""
    if not all_frames:
        frame = _fitted(img, spec.max_side)
        _prepared(frame, fmt).save(out, format=fmt, **_encoder(fmt, spec))
        return frame.size
    frames = [_prepared(_fitted(f.copy(), spec.max_side), fmt) for f in ImageSequence.Iterator(img)]
    timing = {k: img.info[k] for k in ("duration", "loop") if k in img.info}
    frames[0].save(
        out, format=fmt, save_all=True, append_images=frames[1:], **timing, **_encoder(fmt, spec)
    )
    return frames[0].size


def _fitted(img: Image.Image, max_side: int) -> Image.Image:
    """The image within ``max_side`` (aspect kept); a JPEG decodes at the smallest DCT scale
    that still covers the target (draft), so only a fraction of its pixels is decoded."""
    if max_side and max(img.size) > max_side:
        if img.format in ("JPEG", "MPO"):
            ratio = max_side / max(img.size)
            img.draft(img.mode, (round(img.width * ratio), round(img.height * ratio)))
        img.thumbnail((max_side, max_side), Image.Resampling.BICUBIC, reducing_gap=None)
    else:
        img.load()
    return img


def _prepared(img: Image.Image, fmt: str) -> Image.Image:
    """A mode the target format can store (JPEG has no alpha: flattened onto white)."""
    if img.mode in _MODES.get(fmt, frozenset()):
        return img
    alpha = "A" in img.getbands() or "transparency" in img.info
    if fmt == "JPEG" and alpha:
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img.convert("RGBA" if alpha and fmt != "BMP" else "RGB")


def _encoder(fmt: str, spec: DatasetSpec) -> dict[str, int]:
    return {"quality": spec.quality} if fmt in ("JPEG", "WEBP") else {}


def _updated(
    record: ImageRecord, out: Path, fmt: str, ext: str, size: tuple[int, int]
) -> ImageRecord:
    data = out.read_bytes()
    info = Verified(fmt, ext, size[0], size[1], record.info.phash)
    digest = hashlib.sha256(data).hexdigest()
    return replace(record, path=out, size=len(data), sha256=digest, info=info)
