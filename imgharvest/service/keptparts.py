"""A search run's kept images in the store as they are kept: each batch one object with its
rows, so a takeover resumes from the kept set (the job service's side: rows and fencing)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update

from imgharvest.service.jobdata import image_rows, table
from imgharvest.service.lifecycle import Claim, RunLifecycle
from imgharvest.store.models import Job, JobImage, JobPart
from imgharvest.store.retry import retrying

KEPT = "kept"


@dataclass(frozen=True, slots=True)
class KeptPart:
    """One stored batch: its number, object key and manifest rows (``file`` names its member)."""

    number: int
    key: str
    rows: list[dict[str, Any]]


class KeptParts(RunLifecycle):
    """Batches of a run's kept images: stored by the run that owns the job, read by the next."""

    @retrying
    def add_kept(self, claim: Claim, key: str, rows: Sequence[Mapping[str, Any]]) -> bool:
        """Record a stored batch (``rows`` name its members); False if the run lost the job."""
        alive = update(Job).where(self._fenced(claim)).values(heartbeat_at=self.clock.now())
        with self.writes.transaction() as conn:
            last = select(func.coalesce(func.max(JobPart.number), 0)).where(
                JobPart.job_id == claim.job_id, JobPart.kind == KEPT
            )
            number = int(conn.execute(last).scalar_one()) + 1
            stored = select(func.count()).where(
                JobImage.job_id == claim.job_id, JobImage.part.is_not(None)
            )
            start = int(conn.execute(stored.select_from(JobImage)).scalar_one())
            part = {"job_id": claim.job_id, "kind": KEPT, "number": number, "status": "done",
                    "attempts": claim.attempt, "key": key, "items": len(rows),
                    "tried": len(rows), "kept": len(rows), "rejected": {},
                    "finished_at": self.clock.now()}  # fmt: skip
            conn.execute(insert(table(JobPart)), part)  # type: ignore[arg-type]
            found = [{**r, "part": number} for r in image_rows(claim.job_id, rows, start)]
            conn.execute(insert(table(JobImage)), found)
            if getattr(conn.execute(alive), "rowcount", 0) != 1:
                conn.rollback()
                return False
        return True

    def kept_parts(self, job_id: str) -> list[KeptPart]:
        """The stored batches of the job's earlier runs, in order, with their rows."""
        with self.sessions() as session:
            parts = session.execute(
                select(JobPart.number, JobPart.key)
                .where(JobPart.job_id == job_id, JobPart.kind == KEPT)
                .order_by(JobPart.number)
            ).all()
            rows = session.scalars(
                select(JobImage)
                .where(JobImage.job_id == job_id, JobImage.part.is_not(None))
                .order_by(JobImage.position)
            ).all()
        by_part: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            values = {c: getattr(row, c) for c in JobImage.__table__.columns.keys()}  # noqa: SIM118
            by_part.setdefault(int(row.part or 0), []).append(values)
        return [KeptPart(p.number, str(p.key), by_part.get(p.number, [])) for p in parts]
