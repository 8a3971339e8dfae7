"""verify(): the bytes decide; each rejection reason; formats; perceptual hash."""

from __future__ import annotations

import io
from pathlib import Path

import imagehash
import pytest
from PIL import Image

from imgharvest.pipeline.records import Filters, Reason, Rejected, Verified
from imgharvest.pipeline.verify import normalise_formats, phash, supported_formats, verify
from tests.fakeweb.images import HTML_AS_IMAGE, encode, make_image, near_copy, truncated

MAX = 89_478_485
NONE = Filters()


def _verify(
    tmp_path: Path,
    data: bytes,
    name: str = "img.bin",
    *,
    max_pixels: int = MAX,
    filters: Filters = NONE,
) -> Verified | Rejected:
    path = tmp_path / name
    path.write_bytes(data)
    return verify(path, max_pixels=max_pixels, filters=filters)


def _rejected(result: Verified | Rejected) -> Reason:
    assert isinstance(result, Rejected), result
    return result.reason


FORMATS = [
    ("JPEG", "jpg"),
    ("PNG", "png"),
    ("GIF", "gif"),
    ("WEBP", "webp"),
    ("BMP", "bmp"),
    ("TIFF", "tiff"),
]


@pytest.mark.parametrize(("fmt", "ext"), FORMATS)
def test_real_format_and_size(tmp_path: Path, fmt: str, ext: str) -> None:
    result = _verify(tmp_path, make_image(3, 200, 150, fmt=fmt), name="x.jpg")
    assert isinstance(result, Verified), result
    assert (result.format, result.ext, result.width, result.height) == (fmt, ext, 200, 150)
    assert len(result.phash) == 16
    int(result.phash, 16)


def test_extension_comes_from_bytes_not_name(tmp_path: Path) -> None:
    result = _verify(tmp_path, make_image(4, fmt="PNG"), name="photo.jpg")
    assert isinstance(result, Verified)
    assert (result.format, result.ext) == ("PNG", "png")


def test_avif_when_pillow_supports_it(tmp_path: Path) -> None:
    if "AVIF" not in supported_formats():
        pytest.skip("this Pillow has no AVIF codec")
    result = _verify(tmp_path, make_image(5, fmt="AVIF"))
    assert isinstance(result, Verified)
    assert result.ext == "avif"


def test_html_served_as_jpeg_is_not_an_image(tmp_path: Path) -> None:
    assert _rejected(_verify(tmp_path, HTML_AS_IMAGE, name="a.jpg")) == Reason.NOT_IMAGE


def test_empty_file_is_not_an_image(tmp_path: Path) -> None:
    assert _rejected(_verify(tmp_path, b"")) == Reason.NOT_IMAGE


def test_unsupported_image_format_is_not_opened(tmp_path: Path) -> None:
    ico = encode(Image.open(io.BytesIO(make_image(6, 64, 64))), "ICO")
    assert _rejected(_verify(tmp_path, ico)) == Reason.NOT_IMAGE


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_truncated(tmp_path: Path, fmt: str) -> None:
    data = truncated(make_image(7, fmt=fmt))
    assert _rejected(_verify(tmp_path, data)) == Reason.TRUNCATED


def test_truncated_large_jpeg_is_caught_despite_draft_decoding(tmp_path: Path) -> None:
    whole = make_image(8, 2400, 1800)
    assert isinstance(_verify(tmp_path, whole), Verified)
    cut = whole[: len(whole) * 95 // 100]
    assert _rejected(_verify(tmp_path, cut)) == Reason.TRUNCATED


def test_truncated_progressive_jpeg(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.open(io.BytesIO(make_image(9, 800, 600))).save(buf, "JPEG", progressive=True)
    assert _rejected(_verify(tmp_path, truncated(buf.getvalue()))) == Reason.TRUNCATED


def test_min_size_filter(tmp_path: Path) -> None:
    data = make_image(10, 320, 240)
    too_small = _verify(tmp_path, data, filters=Filters(min_width=321))
    assert _rejected(too_small) == Reason.TOO_SMALL
    assert _rejected(_verify(tmp_path, data, filters=Filters(min_height=241))) == Reason.TOO_SMALL
    exact = _verify(tmp_path, data, filters=Filters(min_width=320, min_height=240))
    assert isinstance(exact, Verified)


def test_format_filter_accepts_user_spellings(tmp_path: Path) -> None:
    jpeg, png = make_image(11), make_image(11, fmt="PNG")
    only_jpg = Filters(formats=frozenset({"jpg"}))
    assert isinstance(_verify(tmp_path, jpeg, filters=only_jpg), Verified)
    assert _rejected(_verify(tmp_path, png, filters=only_jpg)) == Reason.FORMAT
    assert normalise_formats({"jpg", ".PNG", "tif", " webp "}) == {"JPEG", "PNG", "TIFF", "WEBP"}


def test_pixel_cap_is_ours_not_pillows(tmp_path: Path) -> None:
    data = make_image(12, 320, 240)
    assert _rejected(_verify(tmp_path, data, max_pixels=320 * 240 - 1)) == Reason.BOMB
    assert isinstance(_verify(tmp_path, data, max_pixels=320 * 240), Verified)


def test_animated_gif_hashes_first_frame(tmp_path: Path) -> None:
    frames = [Image.open(io.BytesIO(make_image(s))).convert("RGB") for s in (13, 14, 15)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    result = _verify(tmp_path, buf.getvalue())
    assert isinstance(result, Verified)
    first = imagehash.phash(Image.open(io.BytesIO(encode(frames[0], "GIF"))))
    third = imagehash.phash(frames[2])
    assert imagehash.hex_to_hash(result.phash) - first <= 4
    assert imagehash.hex_to_hash(result.phash) - third > 10


def test_phash_close_to_imagehash_on_full_image(tmp_path: Path) -> None:
    data = make_image(16, 3000, 2000)
    result = _verify(tmp_path, data)
    assert isinstance(result, Verified)
    reference = imagehash.phash(Image.open(io.BytesIO(data)))
    assert imagehash.hex_to_hash(result.phash) - reference <= 4


def test_near_copy_keeps_a_close_phash(tmp_path: Path) -> None:
    data = make_image(17)
    a, b = _verify(tmp_path, data, "a"), _verify(tmp_path, near_copy(data), "b")
    assert isinstance(a, Verified)
    assert isinstance(b, Verified)
    assert (int(a.phash, 16) ^ int(b.phash, 16)).bit_count() <= 6


def test_camera_mpo_is_delivered_as_jpeg(tmp_path: Path) -> None:
    first, second = (Image.open(io.BytesIO(make_image(s))) for s in (18, 19))
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second])
    result = _verify(tmp_path, buf.getvalue())
    assert isinstance(result, Verified), result
    assert (result.format, result.ext) == ("JPEG", "jpg")


@pytest.mark.parametrize("seed", range(40))
def test_phash_is_bit_for_bit_imagehash(seed: int) -> None:
    data = make_image(seed) if seed % 2 else near_copy(make_image(seed))
    grey = Image.open(io.BytesIO(data)).convert("L")
    assert phash(grey) == str(imagehash.phash(grey))
