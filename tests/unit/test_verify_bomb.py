"""Decompression bombs: rejected before decoding, whichever guard fires, memory bounded."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from PIL import Image

from imgharvest.pipeline.records import Filters, Reason, Rejected
from imgharvest.pipeline.verify import verify
from tests.fakeweb import images

MAX = 89_478_485


def write_png_bomb(path: Path, side: int) -> Path:
    """A valid all-black 1-bit PNG of ``side`` x ``side``, built without the raw image."""
    path.write_bytes(images.bomb_png(side))
    return path


def _reject(path: Path, max_pixels: int = MAX) -> Rejected:
    result = verify(path, max_pixels=max_pixels, filters=Filters())
    assert isinstance(result, Rejected), result
    return result


def test_warning_raised_as_error_becomes_bomb(tmp_path: Path) -> None:
    # 10000x10000 is above Pillow's warning limit and below its error limit; pytest
    # turns the DecompressionBombWarning into an exception, which must become BOMB.
    result = _reject(write_png_bomb(tmp_path / "b.png", 10_000))
    assert result.reason == Reason.BOMB
    assert "decompression bomb" in result.detail


def test_own_check_rejects_when_pillow_only_warns(tmp_path: Path) -> None:
    path = write_png_bomb(tmp_path / "b.png", 10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        result = _reject(path)
    assert result.reason == Reason.BOMB
    assert "exceeds 89478485 pixels" in result.detail


def test_pillow_error_limit_becomes_bomb(tmp_path: Path) -> None:
    result = _reject(write_png_bomb(tmp_path / "b.png", 30_000), max_pixels=10**12)
    assert result.reason == Reason.BOMB


# A fresh interpreter, so earlier tests cannot hide growth; its VmHWM (peak RSS of
# this process image) rather than ru_maxrss, which Linux carries over from pytest
# across fork and exec.
_MEASURE = """
import json, re, sys
from pathlib import Path
from PIL import Image
from imgharvest.pipeline.records import Filters
from imgharvest.pipeline.verify import verify
from tests.fakeweb import images
def peak_kb():
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
if sys.argv[3] == "no-pillow-guard":
    Image.MAX_IMAGE_PIXELS = None  # only in this throwaway process
before = peak_kb()
result = verify(Path(sys.argv[1]), max_pixels=int(sys.argv[2]), filters=Filters())
print(json.dumps({"result": repr(result), "growth_mb": (peak_kb() - before) / 1024}))
"""


def _peak_growth(path: Path, max_pixels: int, mode: str) -> tuple[str, float]:
    argv = [sys.executable, "-c", _MEASURE, str(path), str(max_pixels), mode]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120)
    data = json.loads(out.stdout)
    return data["result"], data["growth_mb"]


@pytest.mark.parametrize("mode", ["pillow-guard", "no-pillow-guard"])
def test_30000_bomb_memory_stays_bounded(tmp_path: Path, mode: str) -> None:
    # Decoding would need 900 MB (one byte per pixel); the header check must stop it.
    path = write_png_bomb(tmp_path / "b.png", 30_000)
    result, growth = _peak_growth(path, MAX, mode)
    assert "too_many_pixels" in result
    assert growth < 100


def test_memory_measure_sees_a_real_decode(tmp_path: Path) -> None:
    # Control: the same measure does see a 6000x6000 (36 MB as L) decode.
    path = write_png_bomb(tmp_path / "big.png", 6_000)
    result, growth = _peak_growth(path, 10**9, "pillow-guard")
    assert "Verified" in result
    assert growth > 30
