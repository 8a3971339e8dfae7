"""Licence wording normalised to SPDX-like names, and the any/open/commercial policies."""

from __future__ import annotations

import pytest

from imgharvest import licences
from imgharvest.sources import flickr


@pytest.mark.parametrize(
    ("name", "url", "spdx"),
    [
        ("CC BY-SA 2.0", None, "CC-BY-SA-2.0"),
        ("CC BY 4.0", None, "CC-BY-4.0"),
        ("cc-by-nc-nd-3.0", None, "CC-BY-NC-ND-3.0"),
        ("CC BY-SA 3.0 de", None, "CC-BY-SA-3.0"),
        ("CC BY 2", None, "CC-BY-2.0"),
        ("CC0 1.0", None, "CC0-1.0"),
        ("CC0", None, "CC0-1.0"),
        ("Public Domain Mark 1.0", None, "PDM-1.0"),
        ("Public domain", None, "public-domain"),
        ("No known copyright restrictions", None, "public-domain"),
        ("All Rights Reserved", None, "all-rights-reserved"),
        ("Pexels License", None, "Pexels"),
        ("GFDL", None, "GFDL-1.3"),
        (None, "https://creativecommons.org/licenses/by-sa/4.0/", "CC-BY-SA-4.0"),
        ("", "//creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0"),
        ("by John Smith", None, "unknown"),
        ("Fair use", None, "unknown"),
        (None, None, "unknown"),
        ("", "https://example.com/terms", "unknown"),
    ],
)
def test_normalise(name: str | None, url: str | None, spdx: str) -> None:
    assert licences.normalise(name, url) == spdx


@pytest.mark.parametrize(
    ("licence", "open_", "commercial"),
    [
        ("CC-BY-4.0", True, True),
        ("CC-BY-NC-2.0", True, False),
        ("CC0-1.0", True, True),
        ("public-domain", True, True),
        ("Unsplash", False, True),
        ("all-rights-reserved", False, False),
        ("unknown", False, False),
    ],
)
def test_policies(licence: str, open_: bool, commercial: bool) -> None:
    assert licences.allowed("any", licence)
    assert licences.allowed("open", licence) is open_
    assert licences.allowed("commercial", licence) is commercial


def test_summary_warns_only_when_most_are_unknown() -> None:
    counts, warning = licences.tally(["unknown", "unknown", "CC-BY-4.0"])
    assert counts == {"unknown": 2, "CC-BY-4.0": 1} and "67%" in warning
    assert licences.tally(["unknown", "CC-BY-4.0"])[1] == ""
    assert licences.summary_line([]) == ""
    assert licences.summary_line(["CC0-1.0", "CC-BY-SA-4.0", "CC-BY-2.0", "CC-BY-4.0"]) == (
        "licences: 2 CC BY, 1 CC BY-SA, 1 public domain"
    )
    assert licences.summary_line(["unknown", "unknown", "PDM-1.0"]) == (
        "licences: 1 public domain, 2 unknown "
        "(warning: licence unknown for 67% of images: check before reuse)"
    )


def test_check_policy() -> None:
    assert licences.check_policy(" Open ") == "open"
    with pytest.raises(ValueError, match="any, open, commercial"):
        licences.check_policy("free")


def test_flickr_licence_ids_per_policy() -> None:
    assert flickr.licence_ids("commercial") == "4,5,6,7,8,9,10"
    assert flickr.licence_ids("open").split(",") == [str(i) for i in range(1, 11)]


def test_families_of_normalised_names_match_those_of_source_words() -> None:
    for words in ("CC BY-NC 2.0", "CC BY-SA 4.0", "CC0 1.0", "Public Domain Mark 1.0", ""):
        assert licences.family(licences.normalise(words)) == licences.family(words)
    assert licences.family("public-domain") == "public domain"
