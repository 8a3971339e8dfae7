"""URL lists (issue 18): text, CSV and parquet read alike, columns kept as extras, and each
kind's most hostile megabyte refused with a clear error at a bounded cost (printed: time,
Python memory; the parquet child's memory is capped by the operating system)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from imgharvest.dataset.listitems import ListBounds, ListItem
from imgharvest.dataset.urllist import list_kind, read_list
from imgharvest.errors import InputError

MB = 1 << 20


def items(path: Path, bounds: ListBounds | None = None) -> list[ListItem]:
    return list(read_list(path, path.name, bounds or ListBounds()))


def written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def parquet(tmp_path: Path, name: str, table: pa.Table, **options: object) -> Path:
    path = tmp_path / name
    pq.write_table(table, path, **options)
    return path


def test_text_csv_tsv_and_parquet_give_the_same_items(tmp_path: Path) -> None:
    text = written(
        tmp_path, "urls.txt", b"# a list\nhttp://a.test/1.jpg\n\n http://a.test/2.jpg \n"
    )
    assert items(text) == [ListItem("http://a.test/1.jpg"), ListItem("http://a.test/2.jpg")]
    rows = 'URL,caption,Source\nhttp://a.test/1.jpg,"a fox, red",wiki\n,no url\n'
    rows += "http://a.test/2.jpg,,\n"
    want = [ListItem("http://a.test/1.jpg", "a fox, red", (("source", "wiki"),)),
            ListItem("http://a.test/2.jpg")]  # fmt: skip
    assert items(written(tmp_path, "l.csv", rows.encode())) == want
    tsv = rows.replace(",", "\t").replace('"a fox\t red"', "a fox, red")
    assert items(written(tmp_path, "l.tsv", tsv.encode())) == want
    table = pa.table({"url": ["http://a.test/1.jpg", None, "http://a.test/2.jpg"],
                      "caption": ["a fox, red", "no url", None],
                      "Source": ["wiki", None, None]})  # fmt: skip
    assert items(parquet(tmp_path, "l.parquet", table)) == want
    # the name or the first bytes decide the kind
    assert list_kind("x", b"PAR1....") == "parquet" and list_kind("x", b"url,caption\n") == "csv"
    assert list_kind("list", b"http://a.test/1.jpg\n") == "text"


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("a.csv", b"caption\nx\n", "one of them url"),
        ("a.csv", b"url,url\nhttp://a\n", "same name"),
        ("a.csv", b"url\nhttp://a,extra\n", "line 2: more cells"),
        ("a.txt", b"\xff\xfe\x00bad", "not UTF-8"),
        ("a.txt", b"\n# nothing\n", "no URL"),
        ("a.parquet", b"PAR1 not really parquet", "not a readable parquet file"),
    ],
)
def test_bad_lists_name_their_problem(tmp_path: Path, name: str, data: bytes, error: str) -> None:
    with pytest.raises(InputError, match=error) as caught:
        items(written(tmp_path, name, data))
    assert caught.value.field == "file"


def test_a_list_of_blank_lines_stops_at_the_line_bound(tmp_path: Path) -> None:
    path = written(tmp_path, "blank.txt", b"\n" * 1000 + b"http://a.test/1.jpg\n")
    with pytest.raises(InputError, match="more than 999 lines"):
        items(path, ListBounds(lines=999))
    assert len(items(path, ListBounds(lines=1001))) == 1


def test_the_item_bound_holds_for_every_kind(tmp_path: Path) -> None:
    bounds = ListBounds(items=3)
    urls = [f"http://a.test/{i}.jpg" for i in range(4)]
    for path in (written(tmp_path, "a.txt", "\n".join(urls).encode()),
                 written(tmp_path, "a.csv", ("url\n" + "\n".join(urls)).encode()),
                 parquet(tmp_path, "a.parquet", pa.table({"url": urls}))):  # fmt: skip
        with pytest.raises(InputError, match="more than 3 URLs"):
            items(path, bounds)


def hostile_text(tmp_path: Path) -> list[Path]:
    return [
        written(tmp_path, "one-line.txt", b"http://a.test/" + b"a" * MB),
        written(tmp_path, "blank.txt", b"\n" * MB),
        written(tmp_path, "one-field.csv", b'url,caption\n"' + b"a" * MB + b'"\n'),
        written(tmp_path, "open-quote.csv", b"url,caption\nhttp://a," + b'"' * MB),
        written(tmp_path, "columns.csv", b",".join(b"c%d" % i for i in range(MB // 8)) + b"\n"),
        written(tmp_path, "no-urls.csv", b"url,caption\n" + b",\n" * (MB // 2)),
    ]


def cost(read: Callable[[], object]) -> tuple[float, float, str]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        read()
        error = ""
    except InputError as exc:
        error = exc.message
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / MB
    tracemalloc.stop()
    return seconds, peak, error


def test_the_most_hostile_text_and_csv_megabytes_cost_little(tmp_path: Path) -> None:
    for path in hostile_text(tmp_path):
        seconds, peak, error = cost(lambda p=path: items(p))
        print(f"{path.name}: {seconds:.2f} s, {peak:.1f} MiB, {error!r}")
        assert error, path.name  # each is refused, with its reason
        assert peak < 32, (path.name, peak)  # streamed: a row at most, never the whole file


def test_a_parquet_bomb_is_refused_within_the_childs_memory_cap(tmp_path: Path) -> None:
    # A few kilobytes declaring gigabytes: one plain page of 64 strings of 8 MiB each (refused
    # by the memory cap), and a dictionary column of a million copies of a 1,000-character
    # caption (each row is fine; refused once it decodes past 64 times the file's size).
    plain = tmp_path / "plain.parquet"
    one = pa.table({"url": pa.array(["h" * (8 * MB)], pa.large_string())})
    with pq.ParquetWriter(plain, one.schema, compression="zstd", use_dictionary=False) as out:
        for _ in range(64):  # one row a group: this test holds 8 MiB, the reader would 512
            out.write_table(one)
    caption = pa.DictionaryArray.from_arrays(pa.array([0] * 1_000_000, pa.int32()),
                                             pa.array(["c" * 1000]))  # fmt: skip
    url = pa.array(["http://a.test/x.jpg"] * 1_000_000)
    repeated = parquet(tmp_path, "dict.parquet", pa.table({"url": url, "caption": caption}),
                       compression="zstd")  # fmt: skip
    bounds = ListBounds(memory=512 * MB, seconds=30)
    for path in (plain, repeated):
        size = path.stat().st_size
        seconds, peak, error = cost(lambda p=path: sum(1 for _ in read_list(p, p.name, bounds)))
        print(f"{path.name} ({size} bytes): {seconds:.2f} s, parent {peak:.1f} MiB, {error!r}")
        assert size < MB and peak < 8
        assert "parquet file" in error and ("512 MiB" in error or "64 times its size" in error)
