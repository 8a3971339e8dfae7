"""The local archive store: keys stay inside its root; put, find, delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgharvest.errors import ConfigError
from imgharvest.store.storage import from_url
from imgharvest.store.storage.local import LocalStore


def test_put_find_delete(tmp_path: Path) -> None:
    store = from_url(f"file://{tmp_path / 'archives'}")
    assert isinstance(store, LocalStore)
    source = tmp_path / "a.zip"
    source.write_bytes(b"zip")
    store.put("job1/a.zip", source)
    path = store.local_path("job1/a.zip")
    assert path is not None and path.read_bytes() == b"zip" and not source.exists()
    assert store.exists("job1/a.zip")
    store.delete("job1/a.zip")
    store.delete("job1/a.zip")
    assert store.local_path("job1/a.zip") is None and not (tmp_path / "archives" / "job1").exists()


@pytest.mark.parametrize("key", ["../x.zip", "/etc/passwd", "a/../../x", "", "."])
def test_keys_cannot_leave_the_root(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="bad storage key"):
        LocalStore(tmp_path).exists(key)


def test_unknown_storage_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="STORAGE_URL"):
        from_url("ftp://host/x")


def test_copy_stores_the_same_bytes_under_a_new_key(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    source = tmp_path / "list.jsonl"
    source.write_bytes(b'["http://x.test/a.jpg", "", {}]\n')
    store.put("j1/input.jsonl", source)
    assert store.copy("j1/input.jsonl", "j2/input.jsonl")
    copied = store.local_path("j2/input.jsonl")
    assert copied is not None and copied.read_bytes() == b'["http://x.test/a.jpg", "", {}]\n'
    assert store.exists("j1/input.jsonl")  # the original stays
    assert not store.copy("j9/input.jsonl", "j3/input.jsonl") and not store.exists("j3/input.jsonl")
