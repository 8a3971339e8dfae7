"""What the runs of a URL-list job share: its stored input list (one JSON array a line, each
shard a byte range of it), the dataset options of its request, and its items as candidates."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgharvest.dataset.listitems import ListItem
from imgharvest.dataset.spec import DatasetSpec
from imgharvest.errors import JobError
from imgharvest.sources.base import Candidate
from imgharvest.store.storage import Store

SOURCE = "list"
OPTIONS = ("max_side", "min_side", "max_aspect", "convert", "quality", "animated", "licence")
LICENCE_COLUMNS = ("licence", "license")
LICENCE_URL_COLUMNS = ("licence_url", "license_url")


def input_key(job_id: str) -> str:
    """Where the job's list is stored."""
    return f"{job_id}/input.jsonl"


def input_line(item: ListItem) -> bytes:
    """One stored line of the list."""
    return json.dumps([item.url, item.caption, item.extra], ensure_ascii=False).encode() + b"\n"


def part_folder(kind: str, number: int, attempt: int) -> str:
    """The scratch folder of one run of a part (never shared with another attempt)."""
    return f"{kind}-{number}.{attempt}"


def job_spec(request: dict[str, Any]) -> DatasetSpec:
    """The dataset options a URL-list job was submitted with."""
    options = dict(request.get("options") or {})
    values = {k: options[k] for k in OPTIONS if k in options}
    return DatasetSpec(format=str(request["format"]), shard_size=int(request["shard_size"]),
                       **values)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a shard: its place in the list (from 1), and the item."""

    rank: int
    item: ListItem

    def candidate(self) -> Candidate:
        """The item as a download candidate (a licence column counts as its licence)."""
        extra = dict(self.item.extra)
        licence = next((extra[c] for c in LICENCE_COLUMNS if c in extra), None)
        licence_url = next((extra[c] for c in LICENCE_URL_COLUMNS if c in extra), None)
        return Candidate(url=self.item.url, source=SOURCE, caption=self.item.caption or None,
                         rank=self.rank, licence=licence, licence_url=licence_url)  # fmt: skip


def shard_entries(
    store: Store, job_id: str, number: int, span: tuple[int, int], shard_size: int
) -> list[Entry]:
    """The items of shard ``number``: the byte range ``span`` (start, length) of the list."""
    reader = store.open(input_key(job_id))
    if reader is None:
        raise JobError("the job's URL list is no longer stored")
    with reader:
        reader.seek(span[0])
        data = reader.read(span[1])
    first = number * shard_size + 1
    return [Entry(rank, item) for rank, item in enumerate(_items(data.splitlines()), first)]


def download(store: Store, key: str, dest: Path) -> Path:
    """Copy a stored object to ``dest`` (parts are read whole: a few ranged reads each)."""
    reader = store.open(key)
    if reader is None:
        raise JobError(f"a stored part of the job is missing ({key.rsplit('/', 1)[-1]})")
    with reader, dest.open("wb") as out:
        shutil.copyfileobj(reader, out, 1 << 20)
    return dest


def _items(lines: Iterable[bytes]) -> Iterator[ListItem]:
    for line in lines:
        url, caption, extra = json.loads(line)
        yield ListItem(str(url), str(caption), tuple((str(k), str(v)) for k, v in extra))
