"""Parquet URL lists, decoded in a child process under a memory and CPU cap: a page may declare
gigabytes that a few kilobytes compress to, and pyarrow allocates what a page declares. The
child (``python -m imgharvest.dataset.parquetlist``) writes one JSON array per item."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from imgharvest.dataset.listitems import FIELD, ListBounds, ListItem, header, item_of
from imgharvest.errors import InputError

EXIT_INPUT, EXIT_MEMORY = 2, 3
BATCH = 256
# What a list may decode to: this many times the file's size (URL lists compress a few times;
# a file of one repeated caption compresses a thousand times), or 16 MiB.
BLOWUP, FLOOR = 64, 16 << 20


def parquet_items(path: Path, bounds: ListBounds) -> Iterator[ListItem]:
    """The items of the parquet list at ``path``, read by a capped child process."""
    numbers = (bounds.items, bounds.lines, bounds.cell, bounds.columns, bounds.memory,
               bounds.seconds)  # fmt: skip
    argv = [sys.executable, "-m", __name__, str(path), *map(str, numbers)]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    try:
        for line in child.stdout:
            url, caption, extra = json.loads(line)
            yield ListItem(url, caption, tuple((str(k), str(v)) for k, v in extra))
    finally:  # also when the reader stops early: the child goes
        child.stdout.close()
        if child.poll() is None:
            child.kill()
        why = child.stderr.read().decode("utf-8", "replace").strip()
        child.stderr.close()
        child.wait()
    if child.returncode:
        raise InputError(FIELD, _failure(child.returncode, why, bounds))


def _failure(code: int, why: str, bounds: ListBounds) -> str:
    if code == EXIT_INPUT and why:
        return why.splitlines()[-1][:300]
    if code == EXIT_MEMORY:
        return f"the parquet file needs more than {bounds.memory >> 20} MiB to read"
    return f"the parquet file cannot be read within {bounds.seconds} s and its memory cap"


def _capped(bounds: ListBounds) -> None:
    try:
        import resource
    except ImportError:  # no such limits here (Windows): the file size bound remains
        return
    resource.setrlimit(resource.RLIMIT_AS, (bounds.memory, bounds.memory))
    resource.setrlimit(resource.RLIMIT_CPU, (bounds.seconds, bounds.seconds))


def _rows(path: Path, bounds: ListBounds) -> Iterator[ListItem]:
    import pyarrow.parquet as pq

    # small thrift limits: the footer of a list needs little, a hostile one is refused
    parquet = pq.ParquetFile(path, thrift_string_size_limit=1 << 20,
                             thrift_container_size_limit=10_000)  # fmt: skip
    if parquet.metadata.num_rows > min(bounds.items, bounds.lines):
        raise InputError(FIELD, f"the list has more than {bounds.items} URLs")
    names = [str(n) for n in parquet.schema_arrow.names]
    header(names, bounds)
    row = 0
    for batch in parquet.iter_batches(batch_size=BATCH, columns=names):
        for cells in batch.to_pylist():
            row += 1
            item = item_of({k.lower(): v for k, v in cells.items()}, f"row {row}", bounds)
            if item is not None:
                yield item


def main(argv: list[str]) -> int:
    """The child: cap itself, then write the items of ``argv[0]`` as JSON lines."""
    path, numbers = Path(argv[0]), [int(a) for a in argv[1:7]]
    bounds = ListBounds(*numbers)
    _capped(bounds)
    out, budget = sys.stdout, max(FLOOR, BLOWUP * path.stat().st_size)
    try:
        for item in _rows(path, bounds):
            line = json.dumps([item.url, item.caption, item.extra]) + "\n"
            budget -= len(line)
            if budget < 0:
                raise InputError(FIELD, f"the parquet file decodes to more than {BLOWUP} "
                                 "times its size")  # fmt: skip
            out.write(line)
    except InputError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_INPUT
    except MemoryError:
        return EXIT_MEMORY
    except Exception as exc:  # pyarrow's errors: a damaged or hostile file
        print(f"not a readable parquet file ({_short(exc)})", file=sys.stderr)
        return EXIT_INPUT
    return 0


def _short(exc: Any) -> str:
    return (
        f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        if str(exc)
        else type(exc).__name__
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
