"""The templates' ``sentence`` filter: the first letter up, the rest as written."""

from __future__ import annotations

from imgharvest.web.assets import make_templates, sentence


def test_sentence_keeps_the_rest_as_written() -> None:
    assert sentence("28 images kept of 40 URLs via DuckDuckGo") == (
        "28 images kept of 40 URLs via DuckDuckGo"
    )
    assert sentence("email is invalid") == "Email is invalid"
    assert sentence("") == ""


def test_the_templates_have_it() -> None:
    env = make_templates().env
    assert env.from_string("{{ s|sentence }}.").render(s="no HTTP errors") == "No HTTP errors."
