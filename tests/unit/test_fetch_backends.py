"""Choosing the download backend: libcurl when pycurl imports, aiohttp otherwise or on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgharvest.errors import ConfigError
from imgharvest.pipeline import backends
from imgharvest.pipeline.curl_fetch import CurlFetcher
from imgharvest.pipeline.fetch import Fetcher
from imgharvest.settings import Settings


def settings(tmp_path: Path, backend: str) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, fetch_backend=backend)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("wanted", "available", "chosen"),
    [("auto", True, CurlFetcher), ("auto", False, Fetcher), ("aiohttp", True, Fetcher),
     ("curl", True, CurlFetcher)],
)  # fmt: skip
def test_the_backend_follows_the_setting_and_pycurl(
    wanted: str, available: bool, chosen: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backends, "curl_available", lambda: available)
    assert type(backends.make_fetcher(settings(tmp_path, wanted))) is chosen


def test_curl_asked_without_pycurl_is_a_clear_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backends, "curl_available", lambda: False)
    with pytest.raises(ConfigError, match=r"FETCH_BACKEND=curl needs pycurl"):
        backends.make_fetcher(settings(tmp_path, "curl"))


def test_an_unknown_backend_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fetch_backend"):
        settings(tmp_path, "wget")
