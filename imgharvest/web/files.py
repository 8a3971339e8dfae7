"""Files a job page offers besides the zip: one harvested image, and the links as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from urllib.parse import quote

from imgharvest.pipeline.package import safe_cell
from imgharvest.service.jobs import JobService

MEDIA = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp",
         "BMP": "image/bmp", "TIFF": "image/tiff", "AVIF": "image/avif"}  # fmt: skip
UNSAFE = frozenset('"\\;')
# ``copy_of``: a link that is another copy of a picture names the picture's (largest) URL.
CSV_FIELDS = ("url", "page_url", "title", "width", "height", "source", "licence", "licence_url",
              "creator", "file", "chosen", "copy_of")  # fmt: skip


def image(jobs: JobService, job_id: str, position: int) -> tuple[bytes, str, str] | None:
    """The bytes, file name and media type of a delivered job's ``position``-th image."""
    rows = jobs.images(job_id)
    row = rows[position] if rows and 0 <= position < len(rows) else None
    if row is None or not row.get("file"):
        return None
    data = jobs.image_bytes(job_id, str(row["file"]))
    if data is None:
        return None
    media = MEDIA.get(str(row.get("format") or "").upper(), "application/octet-stream")
    return data, str(row["file"]).rsplit("/", 1)[-1], media


def disposition(kind: str, name: str) -> str:
    """A ``Content-Disposition`` value safe for any file name (RFC 6266 ``filename*``)."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in UNSAFE else "_" for c in name)
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


def links_csv(rows: Sequence[dict[str, str | int]]) -> str:
    """Rows as CSV (cells a spreadsheet would run as formulas are neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for row in rows:
        writer.writerow([safe_cell(row.get(name, "")) for name in CSV_FIELDS])
    return out.getvalue()
