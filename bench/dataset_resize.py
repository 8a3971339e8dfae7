"""Issue 12 speed: ``get --max-side 256`` against the same run without resizing.

``python -m bench.dataset_resize [--runs 5] [--count 200] [--side 1280] [--kind photo]``:
the fake Bing (50 ms latency per request, as in the other scenarios) serves
``count`` + 10% distinct JPEGs of ``side`` x 3/4 ``side`` pixels; each round
runs ``imgharvest get -n COUNT -s bing --format dir`` once without and once
with ``--max-side 256``, alternating which goes first. The figures are the
medians of wall and CPU time and their ratio; the load average is printed
before and after.

``--kind flat`` serves the fake web's own pictures (blocks of flat colour, about
22 KB at 1280 px); ``--kind photo`` adds blurred noise to them, which makes
JPEGs of about 240 KB, the size and entropy of a web photo, so decoding costs
what it costs on real images. All bytes are made before any clock starts.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
from pathlib import Path
from tempfile import TemporaryDirectory

from aiohttp import web
from PIL import Image, ImageFilter

from bench import tools
from bench.measure import Measured, run_measured
from tests.fakeweb import FakeWeb
from tests.fakeweb.catalog import FakeImage

LATENCY = 0.05
QUERY = "bench resize"


def main(argv: list[str] | None = None) -> None:
    """Run the rounds and print one line per run, then the medians and the ratio."""
    args = _parser().parse_args(argv)
    print(f"load average before: {_load()}", flush=True)
    results: dict[str, list[Measured]] = {"plain": [], "max-side 256": []}
    items = [FakeImage(f"rs{i}", 900_000 + i, width=args.side, height=args.side * 3 // 4)
             for i in range(args.count + args.count // 10)]  # fmt: skip
    bodies = {i.id: photo(i.body()) if args.kind == "photo" else i.body() for i in items}
    size = statistics.mean(len(b) for b in bodies.values()) / 1000
    print(f"{len(items)} {args.kind} JPEGs of {args.side} px, {size:.0f} KB on average")
    with (
        TemporaryDirectory(prefix="imgharvest-bench-resize-") as tmp,
        PhotoWeb(bodies) as web,
    ):
        web.add_catalog(QUERY, items)
        for run in range(args.runs):
            order = list(results) if run % 2 == 0 else list(reversed(results))
            for name in order:
                results[name].append(_once(web.url, name, args.count, Path(tmp) / f"{name}-{run}"))
    print(f"load average after: {_load()}")
    _report(results)


def photo(data: bytes) -> bytes:
    """The picture with blurred noise over it: a JPEG with a photo's size and entropy."""
    base = Image.open(io.BytesIO(data)).convert("RGB")
    noise = Image.effect_noise(base.size, 60).convert("RGB")
    img = Image.blend(base, noise, 0.25).filter(ImageFilter.GaussianBlur(0.8))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=88)
    return out.getvalue()


class PhotoWeb(FakeWeb):
    """The fake web serving catalog images from bytes made up front."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        super().__init__(latency=LATENCY)
        self.bodies = bodies

    async def _image(self, request: web.Request) -> web.StreamResponse:
        body = self.bodies.get(request.match_info["name"].rsplit(".", 1)[0])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="image/jpeg")


def _once(bing_url: str, name: str, count: int, place: Path) -> Measured:
    place.mkdir(parents=True)
    env = tools.base_env() | {
        "IMGHARVEST_ALLOWED_NETWORKS": "127.0.0.0/8",
        "IMGHARVEST_DATA_DIR": str(place / "data"),
        "IMGHARVEST_BING_URL": bing_url,
    }
    out = place / "out"
    argv = [*tools.imgharvest_cli(), "get", QUERY, "-n", str(count), "-s", "bing"]
    argv += ["--format", "dir", "-o", str(out)]
    if name != "plain":
        argv += ["--max-side", "256"]
    measured = run_measured(argv, env, place, place / "tool.log")
    files = sorted((out / "images").iterdir())
    biggest = max(max(Image.open(f).size) for f in files) if files else 0
    line = f"{name:<13} {measured.wall:6.2f} s wall, {measured.cpu:5.2f} s cpu"
    print(f"{line}, exit {measured.returncode}, {len(files)} files, longest side {biggest}")
    shutil.rmtree(place)
    return measured


def _report(results: dict[str, list[Measured]]) -> None:
    wall = {k: statistics.median(m.wall for m in v) for k, v in results.items()}
    cpu = {k: statistics.median(m.cpu for m in v) for k, v in results.items()}
    for name in results:
        print(f"median {name:<13} {wall[name]:6.2f} s wall, {cpu[name]:5.2f} s cpu")
    print(f"ratio max-side/plain: wall {wall['max-side 256'] / wall['plain']:.2f}x, "
          f"cpu {cpu['max-side 256'] / cpu['plain']:.2f}x")  # fmt: skip


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.dataset_resize", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--side", type=int, default=1280)
    parser.add_argument("--kind", choices=("flat", "photo"), default="photo")
    return parser


if __name__ == "__main__":
    main()
