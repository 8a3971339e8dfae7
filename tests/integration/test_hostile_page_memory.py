"""Issue 16: what the most hostile 8 MiB of markup (``MAX_PAGE_BYTES``) costs one page's parse
with the default budget, each shape in a fresh process so its peak memory is its own.

Without the budget: 386,000 distinct pictures took 52 s and 651 MB, 8 MiB of unclosed ``<b>``
522 MB, and one megabyte of nested ``<div>`` more than ten minutes (``bench/README.md``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from imgharvest.settings import Settings

PEAK_MB = 100  # what README and bench/README.md promise for one page's parse
CHILD = textwrap.dedent(
    """
    import sys
    from imgharvest.extract.page import extract_page

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024

    size, budget = 8 * 1024 * 1024, int(sys.argv[1])
    html = eval(sys.argv[2])
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak so far (building the page) is not the parse's
    before = status("VmRSS")
    page = extract_page(html, "http://127.0.0.1/page.html", budget)
    print(status("VmHWM") - before, len(page.images), page.cut)
    """
)
SHAPES = {
    "distinct-pictures": "''.join(f'<img src={i}.jpg>' for i in range(size // 21))",
    "pictures-with-attributes": "''.join(f\"<img src={i}.jpg alt='photo {i}' width=300 "
    'height=200 class=c data-x=1>" for i in range(size // 70))',
    "srcset": "''.join(f\"<img srcset='{i}a.jpg 100w, {i}b.jpg 200w, {i}c.jpg 300w'>\" "
    "for i in range(size // 50))",
    "page-links": "''.join(f'<a href=/p{i}>x</a>' for i in range(size // 20))",
    "nested-div": "'<div>' * (size // 5)",
    "unclosed-b": "'<b>' * (size // 3)",
    "closed-b": "'<b></b>' * (size // 7)",
    "one-tag-many-attributes": "'<i ' + ' '.join(f'a{i}' for i in range(size // 8)) + '>'",
    "quoted-attributes": "'<i ' + ' '.join(f\"a{i}=''\" for i in range(size // 10)) + '>'",
    "attribute-heavy": "'<i a b c d e f g h j k l m n o p q r s t u v w x y z></i>' * (size // 56)",
    "comments": "'<!---->' * (size // 7)",
    "paragraphs": "'<p>x' * (size // 4)",
    "escaped-html": "\"<div data-html='\" + '&lt;div&gt;' * (size // 11) + \"'>\"",
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("shape", SHAPES)
def test_a_hostile_page_parse_stays_within_its_memory(shape: str) -> None:
    budget = Settings.model_fields["max_links_per_page"].default
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(budget), SHAPES[shape]],
        capture_output=True, text=True, timeout=110, check=True,
    )  # fmt: skip
    peak, pictures, cut = done.stdout.split(maxsplit=2)
    assert int(peak) < PEAK_MB, f"{shape}: +{peak} MB"
    assert int(pictures) <= budget
    assert cut != "None"  # every one of them crosses a budget
