"""Reading jobs: what a page, the API or an email shows, the archive's images, and links."""

from __future__ import annotations

import dataclasses
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from imgharvest.dataset.partout import part_name, read_member
from imgharvest.dataset.thumbpack import read_pack
from imgharvest.extract.page import is_image_path
from imgharvest.service import links
from imgharvest.service.jobdata import ACTIVE, DELIVERED, EXPIRED, ROW_FIELDS, JobData
from imgharvest.service.resubmit import make_token
from imgharvest.store.models import Job, JobEvent, JobImage, JobPart

EVENTS_SHOWN = 500


@dataclass(frozen=True, slots=True)
class EventView:
    """One event-log line of a job."""

    at: datetime
    level: str
    message: str
    worker: str | None = None  # host:pid of the process whose run wrote it


@dataclass(frozen=True, slots=True)
class JobView:
    """Everything a page, the API or an email shows about a job."""

    id: str
    kind: str
    status: str
    query: str
    run_at: datetime
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    wanted: int
    tried: int
    kept: int
    rejected: dict[str, int]
    pages_total: int
    pages_done: int
    summary: str | None
    error: str | None
    has_email: bool
    job_url: str
    download_url: str | None
    expires_at: datetime | None
    resubmit_url: str | None
    request: dict[str, Any]
    events: list[EventView] = field(default_factory=list)
    images: list[dict[str, str | int]] = field(default_factory=list)
    pages_active: int = 0
    archive_bytes: int | None = None
    shards_total: int = 0
    shards_done: int = 0
    thumbs: bool = False  # its thumbnails are packed: every image has a tile
    # With a window (the job page): ``images`` are rows ``images_first`` on, of ``images_total``,
    # and ``licence_rows`` one row per image of the whole job (for its licence summary).
    images_first: int = 0
    images_total: int | None = None
    licence_rows: list[dict[str, str]] = field(default_factory=list)
    # only in the answer that created the job (``Submissions``): the credential to manage it
    owner_token: str | None = None

    @property
    def links_only(self) -> bool:
        """A crawl that lists image links without downloading them (no "wanted" count)."""
        return self.kind == "crawl" and not self.request.get("download")

    @property
    def progress(self) -> float:
        """Share done, 0.0 to 1.0: of a URL list, the URLs tried (most lists hold URLs that
        give no image, so a finished list is 1.0); of any other job, the wanted images kept."""
        done = self.tried if self.kind == "fetch" else self.kept
        return min(1.0, done / self.wanted) if self.wanted else 0.0

    @property
    def active(self) -> bool:
        """Still scheduled or running."""
        return self.status in ACTIVE


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What ``/d/<token>`` leads to: a file to send, several files (``files``: a URL-list
    job's shards and their manifest), an expired link, or nothing."""

    kind: Literal["ok", "files", "expired", "unknown"]
    path: Path | None = None
    filename: str | None = None
    job_id: str | None = None
    url: str | None = None  # a pre-signed URL of a remote store, valid for the link's rest


class JobViews(JobData):
    """Jobs as pages, the API and emails show them."""

    def get(
        self, job_id: str, *, with_images: bool = True, window: tuple[int, int] | None = None
    ) -> JobView | None:
        """The job with its latest events (and images: all, or only ``window``'s rows, from
        and how many, with the counts the page needs of the rest), or None if unknown."""
        with self.sessions() as session:
            job = session.get(Job, job_id)
            if job is None:
                return None
            events = session.scalars(
                select(JobEvent)
                .where(JobEvent.job_id == job_id)
                .order_by(JobEvent.id.desc())
                .limit(EVENTS_SHOWN)
            ).all()
            if window is not None:
                extra = self._window(session, job_id, *window)
                images = extra.pop("images")
            else:
                extra, images = {}, self._image_rows(session, job_id) if with_images else []
        shown = [EventView(e.at, e.level, e.message, e.worker) for e in reversed(events)]
        return dataclasses.replace(self.view(job, shown, images), **extra)

    def _window(self, session: Session, job_id: str, first: int, count: int) -> dict[str, Any]:
        """A page's rows, the total, and the licences of all (a 5,000-image job's page reads
        100 rows, not 5,000)."""
        mine = JobImage.job_id == job_id
        columns = [getattr(JobImage, name) for name in ROW_FIELDS]
        page = select(*columns).where(mine).order_by(JobImage.position)
        images = [dict(r) for r in session.execute(page.offset(first).limit(count)).mappings()]
        total = session.scalar(select(func.count()).select_from(JobImage).where(mine)) or 0
        tally = session.execute(select(JobImage.licence, func.count()).where(mine)
                                .group_by(JobImage.licence)).all()  # fmt: skip
        licence_rows = [{"licence": name} for name, n in tally for _ in range(n)]
        return {"images": images, "images_first": first, "images_total": total,
                "licence_rows": licence_rows}  # fmt: skip

    def images(self, job_id: str) -> list[dict[str, str | int]] | None:
        """Manifest fields of each kept image (or found link), or None if the job is unknown."""
        with self.sessions() as session:
            if session.get(Job, job_id) is None:
                return None
            return self._image_rows(session, job_id)

    def _image_rows(self, session: Session, job_id: str) -> list[dict[str, str | int]]:
        # Plain rows, not ORM objects: a 5,000-image job page loads in a third of the time.
        columns = [getattr(JobImage, name) for name in ROW_FIELDS]
        query = select(*columns).where(JobImage.job_id == job_id).order_by(JobImage.position)
        return [dict(row) for row in session.execute(query).mappings()]

    def many(self, ids: Sequence[str]) -> list[JobView]:
        """The known jobs among ``ids``, in the order given, without events or images."""
        with self.sessions() as session:
            found = {j.id: j for j in session.scalars(select(Job).where(Job.id.in_(list(ids))))}
        return [self.view(found[i], [], []) for i in ids if i in found]

    def recent(self, status: str | None = None, limit: int = 50) -> list[JobView]:
        """The newest jobs (optionally of one status), without events or images."""
        query = select(Job).order_by(Job.created_at.desc()).limit(limit)
        if status:
            query = query.where(Job.status == status)
        with self.sessions() as session:
            jobs = session.scalars(query).all()
        return [self.view(job, [], []) for job in jobs]

    def image_bytes(self, job_id: str, file: str) -> bytes | None:
        """One image of a delivered job, read from its archive (or from the shard holding it)."""
        with self.sessions() as session:
            job = session.get(Job, job_id)
            key = job.archive_key if job is not None and job.status in DELIVERED else None
        if job is not None and key and key.endswith("/") and "#" in file:
            return self._shard_member(job, file)
        reader = self.store.open(key) if key and in_archive(file) else None
        if reader is None:
            return None
        with reader, zipfile.ZipFile(reader) as archive:
            try:
                return archive.read(file)
            except KeyError:
                return None

    def _shard_member(self, job: Job, file: str) -> bytes | None:
        name, _, member = file.partition("#")
        keys = {f.name: f.key for f in self.files(job.id)}
        reader = self.store.open(keys[name]) if name in keys else None
        if reader is None:
            return None
        with reader:
            return read_member(reader, str(job.request.get("format")), member)

    def thumb_page(self, job_id: str, first: int, count: int) -> ThumbPage | None:
        """Thumbnails ``first`` to ``first + count`` of a delivered job from its packs (two
        ranged reads a pack; a page spans one or two), or None without packs."""
        with self.sessions() as session:
            job = session.get(Job, job_id)
            if job is None or job.status not in DELIVERED or self.expired(job):
                return None
            spans: list[tuple[str | None, int]] = [(job.thumbs_key, 0)] if job.thumbs_key else []
            if not spans and job.shards_total:
                parts = session.scalars(
                    select(JobPart)
                    .where(JobPart.job_id == job_id, JobPart.kind == "shard")
                    .order_by(JobPart.number)
                )
                spans = _spans([(p.thumbs_key, p.kept) for p in parts])
            until = job.expires_at
        if not spans or any(key is None for key, _ in spans):
            return None
        thumbs = self._thumbs(spans, first, count)
        return ThumbPage(thumbs, until) if thumbs is not None else None

    def _thumbs(
        self, spans: list[tuple[str | None, int]], first: int, count: int
    ) -> list[bytes] | None:
        found: list[bytes] = []
        for (key, start), (_, end) in zip(spans, [*spans[1:], (None, 1 << 62)], strict=True):
            lo, hi = max(first, start), min(first + count, end)
            if lo >= hi or key is None:
                continue
            reader = self.store.open(key)
            if reader is None:
                return None
            with reader:
                found += read_pack(reader, lo - start, hi - lo)
        return found

    def resolve_link(self, token: str) -> LinkTarget:
        """What a download token points to right now."""
        with self.sessions() as session:
            job = session.scalars(select(Job).where(Job.link_digest == links.digest(token))).first()
        if job is None:
            return LinkTarget("unknown")
        if self.expired(job) or not job.archive_key:
            return LinkTarget("expired", job_id=job.id)
        if job.archive_key.endswith("/"):
            return LinkTarget("files", job_id=job.id)
        return self._target(job, job.archive_key, Path(job.archive_key).name)

    def resolve_file(self, token: str, name: str) -> LinkTarget:
        """One file of a delivered URL-list job in several files (``name`` as listed)."""
        found = self.resolve_link(token)
        if found.kind != "files" or found.job_id is None:
            return found if found.kind != "ok" else LinkTarget("unknown")
        keys = {f.name: f.key for f in self.files(found.job_id)}
        with self.sessions() as session:
            job = session.get(Job, found.job_id)
        if job is None or name not in keys:
            return LinkTarget("unknown")
        return self._target(job, keys[name], name)

    def files(self, job_id: str) -> list[OutputFile]:
        """What a URL-list job in several files delivers: its shards, manifest and dataset.json."""
        with self.sessions() as session:
            job = session.get(Job, job_id)
            if job is None or not (job.archive_key or "").endswith("/"):
                return []
            parts = session.scalars(
                select(JobPart)
                .where(JobPart.job_id == job_id, JobPart.kind == "shard")
                .order_by(JobPart.number)
            ).all()
        fmt = str(job.request.get("format", ""))
        found = [OutputFile(part_name(fmt, p.number), str(p.key), p.bytes) for p in parts]
        return found + [OutputFile(n, f"{job.archive_key}{n}", None) for n in SIDECARS]

    def _target(self, job: Job, key: str, name: str) -> LinkTarget:
        """A stored file of ``job`` as a download: a pre-signed URL, or a local file."""
        left = job.expires_at - self.clock.now() if job.expires_at else timedelta(0)
        url = self.store.presign(key, max(1, int(left.total_seconds())), name)
        if url is not None:
            return LinkTarget("ok", filename=name, job_id=job.id, url=url)
        path = self.store.local_path(key)
        if path is None:
            return LinkTarget("expired", job_id=job.id)
        return LinkTarget("ok", path=path, filename=name, job_id=job.id)

    def view(
        self, job: Job, events: list[EventView], images: list[dict[str, str | int]]
    ) -> JobView:
        """The view of a job row, with the events and images given."""
        base = self.settings.public_url
        return JobView(
            id=job.id, kind=job.kind, status=job.status, query=job.query, run_at=job.run_at,
            created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
            wanted=job.wanted, tried=job.tried, kept=job.kept, rejected=dict(job.rejected or {}),
            pages_total=job.pages_total, pages_done=job.pages_done, summary=job.summary,
            error=job.error, has_email=bool(job.email), job_url=f"{base}/jobs/{job.id}",
            download_url=self._download_url(job), expires_at=job.expires_at,
            resubmit_url=resubmit_url(base, job, self.secret()),
            request=dict(job.request), events=events, images=images,
            pages_active=job.pages_active or 0, archive_bytes=job.archive_bytes,
            shards_total=job.shards_total or 0, shards_done=job.shards_done or 0,
            thumbs=bool(job.thumbs_key or job.shards_total),
        )  # fmt: skip

    def _download_url(self, job: Job) -> str | None:
        if job.status not in DELIVERED or not job.link_nonce or self.expired(job):
            return None
        token = links.derive(self.secret(), job.link_nonce)
        return self.settings.public_url + links.path(token)


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One delivered file: the name it is listed and downloaded as, its key, its size."""

    name: str
    key: str
    bytes: int | None


SIDECARS = ("manifest.csv", "dataset.json")


@dataclass(frozen=True, slots=True)
class ThumbPage:
    """A page of thumbnails and until when they may be shown (the job's expiry)."""

    thumbs: list[bytes]
    until: datetime | None


def _spans(parts: list[tuple[str | None, int]]) -> list[tuple[str | None, int]]:
    """Each part's thumbnail pack with the job position of its first image."""
    spans, at = [], 0
    for key, kept in parts:
        spans.append((key, at))
        at += kept
    return spans


def in_archive(file: str) -> bool:
    """Whether a manifest ``file`` is an image member of the job's zip (``images/…`` or an
    image-folder ``<class>/…``), not a sample inside a tar shard or a parquet file."""
    return "#" not in file and is_image_path(file) and not file.startswith(("/", "."))


def resubmit_url(base: str, job: Job, secret: str) -> str | None:
    """A link that opens the right form pre-filled with this job's request: a signed token,
    no personal data (the address is typed again)."""
    if job.status == EXPIRED or not job.request or job.kind == "fetch":
        return None  # an expired job's request is deleted; a URL list is not kept to resend
    return f"{base}/resubmit/{make_token(secret, job.kind, job.id, dict(job.request))}"
