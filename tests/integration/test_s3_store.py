"""The S3 store against moto's standalone server on loopback: upload, ranged zip reads,
pre-signed links, deletion; and the job service using it."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import httpx
import pytest

from imgharvest.errors import ConfigError
from imgharvest.store.storage import from_url
from imgharvest.store.storage.s3 import MULTIPART_THRESHOLD, S3Store
from tests.services import MotoS3

pytestmark = pytest.mark.services


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def store_of(moto_s3: MotoS3, prefix: str = "archives") -> S3Store:
    store = from_url(f"s3://{moto_s3.bucket}/{prefix}", moto_s3.url)
    assert isinstance(store, S3Store)
    return store


def test_put_moves_the_archive_up_and_reads_single_members_by_range(
    moto_s3: MotoS3, aws_env: dict[str, str], tmp_path: Path
) -> None:
    store = store_of(moto_s3)
    local = make_zip(tmp_path / "a.zip", {"images/0001.jpg": b"one" * 1000, "manifest.csv": b"x"})
    store.put("job1/1/a.zip", local)
    assert not local.exists()  # the local copy is gone once uploaded
    assert moto_s3.object_keys() == ["archives/job1/1/a.zip"] and store.exists("job1/1/a.zip")
    assert store.local_path("job1/1/a.zip") is None
    reader = store.open("job1/1/a.zip")
    assert reader is not None
    with reader, zipfile.ZipFile(reader) as zf:
        assert zf.read("images/0001.jpg") == b"one" * 1000
    assert store.open("job1/1/missing.zip") is None
    store.delete("job1/1/a.zip")
    assert moto_s3.object_keys() == [] and not store.exists("job1/1/a.zip")


def test_copy_is_made_within_the_bucket(
    moto_s3: MotoS3, aws_env: dict[str, str], tmp_path: Path
) -> None:
    store = store_of(moto_s3)
    listed = tmp_path / "input.jsonl"
    listed.write_bytes(b'["http://x.test/a.jpg", "", {}]\n' * 100)
    store.put("j1/input.jsonl", listed)
    assert store.copy("j1/input.jsonl", "j2/input.jsonl")
    assert moto_s3.object_keys() == ["archives/j1/input.jsonl", "archives/j2/input.jsonl"]
    reader = store.open("j2/input.jsonl")
    assert reader is not None
    with reader:
        assert reader.read() == b'["http://x.test/a.jpg", "", {}]\n' * 100
    assert not store.copy("j9/input.jsonl", "j3/input.jsonl")
    assert not store.exists("j3/input.jsonl")


def test_large_archives_go_up_in_parts(
    moto_s3: MotoS3, aws_env: dict[str, str], tmp_path: Path
) -> None:
    store = store_of(moto_s3, prefix="")
    big = tmp_path / "big.zip"
    big.write_bytes(os.urandom(MULTIPART_THRESHOLD + 1024 * 1024))
    size = big.stat().st_size
    store.put("j/1/big.zip", big)
    head = moto_s3.client().head_object(Bucket=moto_s3.bucket, Key="j/1/big.zip")
    assert head["ContentLength"] == size
    assert head["ETag"].strip('"').endswith("-2")  # a multipart upload's ETag names its parts


def test_presigned_url_downloads_with_the_name_for_the_given_seconds(
    moto_s3: MotoS3, aws_env: dict[str, str], tmp_path: Path
) -> None:
    store = store_of(moto_s3)
    store.put("k/1/cats.zip", make_zip(tmp_path / "cats.zip", {"manifest.csv": b"file\n"}))
    url = store.presign("k/1/cats.zip", 300, "cats.zip")
    assert url is not None and "X-Amz-Expires=300" in url
    got = httpx.get(url)
    assert got.status_code == 200 and got.content.startswith(b"PK")
    assert 'filename="cats.zip"' in got.headers["content-disposition"]
    # moto does not check signatures or lifetimes; the lifetime asked for is what is signed
    assert "X-Amz-Expires=604800" in str(store.presign("k/1/cats.zip", 10**9, "cats.zip"))


def test_unknown_bucket_and_missing_bucket_name_are_config_errors(
    moto_s3: MotoS3, aws_env: dict[str, str]
) -> None:
    with pytest.raises(ConfigError, match="STORAGE_URL"):
        from_url("s3:///prefix-only", moto_s3.url)
    with pytest.raises(ConfigError, match="nope-bucket"):
        S3Store("nope-bucket", "", moto_s3.url).check()
