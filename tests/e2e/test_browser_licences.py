"""Issue 12 in real Chromium: a finished job's page shows its licence summary once (beside the
gallery), with the warning when most licences are unknown; screenshots at two widths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from imgharvest import licences
from tests.e2e import test_browser_pages as base
from tests.e2e.test_browser_pages import WIDTHS, page_at, shoot, submit
from tests.web_support import deliver

pytestmark = pytest.mark.browser
browser, site = base.browser, base.site  # the same fixtures
ALL_LOADED = "[...document.images].every(i => i.complete && i.naturalWidth > 0)"


def finished_with(pa: Any, tmp_path: Path, names: tuple[str, ...]) -> str:
    """A job delivered with these licences, its summary written as a worker writes it."""
    job = submit(pa, "harbour cranes", 8)
    line = licences.summary_line(names[i % len(names)] or "unknown" for i in range(8))
    deliver(pa, job, 8, tmp_path, licences=names, summary=f"8 images kept; {line}")
    return job


@pytest.mark.parametrize("width", list(WIDTHS))
def test_licence_summary_once_with_its_warning(
    browser: Any, site: Any, width: str, tmp_path: Path
) -> None:
    pa, url = site
    job = finished_with(pa, tmp_path, ("CC BY 4.0", "", "", ""))
    page = page_at(browser, width)
    page.goto(f"{url}/jobs/{job}")
    base.wait_true(page, ALL_LOADED)
    line = page.inner_text("#licences")
    assert line.startswith("Licences: 2 CC BY, 6 unknown")
    assert "warning: licence unknown for 75% of images: check before reuse" in line
    assert page.locator("#licence-warning").is_visible()
    summary = page.inner_text("#job-live .ih-summary")
    assert summary == "8 images kept.", "the summary no longer repeats the licences"
    shown = " ".join(page.locator("#licences, .ih-summary, #gallery-title").all_inner_texts())
    assert shown.lower().count("licences:") == 1 and shown.count("75% of images") == 1
    shoot(page, f"job-licences-{width}")
    page.context.close()


def test_mostly_known_licences_carry_no_warning(browser: Any, site: Any, tmp_path: Path) -> None:
    pa, url = site
    job = finished_with(pa, tmp_path, ("CC BY 4.0", "CC0 1.0", "CC BY-SA 3.0", ""))
    page = page_at(browser)
    page.goto(f"{url}/jobs/{job}")
    assert page.inner_text("#licences") == (
        "Licences: 2 CC BY, 2 CC BY-SA, 2 public domain, 2 unknown"
    )
    assert page.locator("#licence-warning").count() == 0
    page.context.close()
