"""Reshaping kept images: fit, convert, animations; the record always matches the bytes."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from imgharvest.dataset.spec import DatasetSpec
from imgharvest.dataset.transform import reshape
from imgharvest.pipeline.records import Filters, ImageRecord, Verified
from imgharvest.pipeline.verify import verify
from imgharvest.sources.base import Candidate
from tests.fakeweb.images import make_image


def _record(tmp_path: Path, data: bytes, name: str = "img") -> ImageRecord:
    path = tmp_path / name
    path.write_bytes(data)
    info = verify(path, max_pixels=10**8, filters=Filters())
    assert isinstance(info, Verified)
    cand = Candidate(url="http://x.test/a", source="bing")
    return ImageRecord(cand, path, len(data), hashlib.sha256(data).hexdigest(), info, "u")


def _matches(record: ImageRecord) -> Image.Image:
    data = record.path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == record.sha256 and len(data) == record.size
    img = Image.open(io.BytesIO(data))
    img.load()
    assert img.size == (record.info.width, record.info.height)
    assert record.path.suffix == "." + record.info.ext
    return img


def _animated_gif(frames: int = 3) -> bytes:
    images = [Image.new("RGB", (300, 200), (80 * i, 40, 200 - 50 * i)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=90, loop=0)
    return out.getvalue()


def test_a_large_jpeg_is_fitted_keeping_its_aspect(tmp_path: Path) -> None:
    record = _record(tmp_path, make_image(1, 1600, 1000))
    out = reshape(record, DatasetSpec(max_side=256), tmp_path / "out")
    img = _matches(out)
    assert img.size == (256, 160) and img.format == "JPEG" and out.info.format == "JPEG"
    assert out.info.phash == record.info.phash and not record.path.exists()


def test_a_small_image_keeps_its_bytes(tmp_path: Path) -> None:
    record = _record(tmp_path, make_image(2, 200, 100))
    assert reshape(record, DatasetSpec(max_side=256), tmp_path / "out") is record
    assert record.path.exists()


def test_png_with_alpha_converted_to_jpeg_on_white(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (40, 30), (255, 0, 0, 0))
    buf = io.BytesIO()
    rgba.save(buf, format="PNG")
    out = reshape(_record(tmp_path, buf.getvalue()), DatasetSpec(convert="jpeg"), tmp_path / "o")
    img = _matches(out)
    assert (out.info.format, out.info.ext, img.mode) == ("JPEG", "jpg", "RGB")
    assert img.getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize(("convert", "fmt"), [("webp", "WEBP"), ("png", "PNG")])
def test_convert_with_quality(tmp_path: Path, convert: str, fmt: str) -> None:
    record = _record(tmp_path, make_image(3, 320, 240))
    out = reshape(record, DatasetSpec(convert=convert, quality=50), tmp_path / "o")
    assert _matches(out).format == fmt == out.info.format


def test_lower_quality_gives_fewer_bytes(tmp_path: Path) -> None:
    sizes = []
    for quality in (95, 30):
        folder = tmp_path / str(quality)
        folder.mkdir()
        record = _record(folder, make_image(4, 800, 600))
        sizes.append(reshape(record, DatasetSpec(max_side=400, quality=quality), folder / "o").size)
    assert sizes[1] < sizes[0]


def test_animated_gif_kept_with_every_frame_fitted(tmp_path: Path) -> None:
    record = _record(tmp_path, _animated_gif())
    out = reshape(record, DatasetSpec(max_side=150), tmp_path / "o")
    img = _matches(out)
    assert img.format == "GIF" and getattr(img, "n_frames", 1) == 3 and img.size == (150, 100)


def test_animated_gif_reduced_to_its_first_frame(tmp_path: Path) -> None:
    record = _record(tmp_path, _animated_gif())
    out = reshape(record, DatasetSpec(animated="first"), tmp_path / "o")
    img = _matches(out)
    assert img.format == "GIF" and getattr(img, "n_frames", 1) == 1 and img.size == (300, 200)


def test_still_image_untouched_by_first_frame_option(tmp_path: Path) -> None:
    record = _record(tmp_path, make_image(5, 64, 48, fmt="GIF"))
    assert reshape(record, DatasetSpec(animated="first"), tmp_path / "o") is record


def test_verification_keeps_a_large_jpeg_decoded_for_the_resize(tmp_path: Path) -> None:
    big, small = tmp_path / "big", tmp_path / "small"
    big.write_bytes(make_image(6, 1280, 960))
    small.write_bytes(make_image(7, 200, 150))
    kept = verify(big, max_pixels=10**8, filters=Filters(), fit=256)
    plain = verify(big, max_pixels=10**8, filters=Filters())
    assert isinstance(kept, Verified) and isinstance(plain, Verified)
    assert kept.pixels is not None and kept.pixels.size == (320, 240)  # DCT scale 1/4
    assert plain.pixels is None and kept == plain  # pixels do not take part in equality
    distance = (int(kept.phash, 16) ^ int(plain.phash, 16)).bit_count()
    assert distance <= 4, "the hash of the larger decode stays close"
    assert verify(small, max_pixels=10**8, filters=Filters(), fit=256).pixels is None  # type: ignore[union-attr]
    record = ImageRecord(Candidate(url="u", source="b"), big, 1, "0" * 64, kept, "u")
    out = reshape(record, DatasetSpec(max_side=256), tmp_path / "o")
    assert _matches(out).size == (256, 192) and out.info.pixels is None


@pytest.mark.parametrize(
    ("mode", "src", "convert", "mode_out"),
    [
        ("CMYK", "JPEG", "png", "RGB"),
        ("CMYK", "JPEG", "webp", "RGB"),
        ("I;16", "PNG", "jpeg", "RGB"),
        ("LA", "PNG", "jpeg", "RGB"),
        ("P", "GIF", "webp", "RGB"),
        ("RGBA", "PNG", "webp", "RGBA"),
    ],
)
def test_every_mode_converts(
    tmp_path: Path, mode: str, src: str, convert: str, mode_out: str
) -> None:
    img = Image.new(mode, (60, 40))
    buf = io.BytesIO()
    img.save(buf, format=src)
    out = reshape(_record(tmp_path, buf.getvalue()), DatasetSpec(convert=convert), tmp_path / "o")
    assert _matches(out).mode == mode_out
