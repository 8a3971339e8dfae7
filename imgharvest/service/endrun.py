"""The end step of a URL-list job, once every shard is stored: the cross-shard pass of the
perceptual de-duplication (a near copy in a later shard is taken out of its part), then
``manifest.csv`` and ``dataset.json``, and for ``zip`` one archive streamed from the parts."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imgharvest import licences
from imgharvest.dataset import thumbpack
from imgharvest.dataset.info import manifest_info
from imgharvest.dataset.partout import assemble_zip, manifest, part_name, without
from imgharvest.errors import JobCancelled, StoreUnavailable
from imgharvest.pipeline.dedupe import Deduper
from imgharvest.pipeline.records import Reason
from imgharvest.service import reasons
from imgharvest.service.fetchjob import download
from imgharvest.service.jobdata import DONE
from imgharvest.service.lifecycle import Outcome
from imgharvest.service.partrun import PartRun
from imgharvest.store.models import JobPart
from imgharvest.store.storage.patience import put_retrying

Row = dict[str, Any]


def near_copies(rows: Sequence[Row], distance: int) -> list[Row]:
    """Rows whose picture an earlier row (in list order) already shows: exact copies never
    reach here (the hash index), near ones across shards do."""
    seen, later = Deduper(distance), []
    for row in rows:
        if seen.check(str(row["sha256"]), str(row["phash"])) is not None:
            later.append(row)
        else:
            seen.add(str(row["sha256"]), str(row["phash"]))
    return later


class EndRun(PartRun):
    """Finish a URL-list job from its stored shards."""

    def work(self) -> bool:
        jobs, job_id = self.svc.jobs, self.claim.job_id
        rows, shards = jobs.part_rows(job_id), jobs.parts(job_id)
        near = near_copies(rows, self.svc.settings.near_duplicate_distance)
        fmt = str(self.claim.request["format"])
        if near:
            self._rewrite(near, rows, shards, fmt)
            per_part = Counter(int(r["part"]) for r in near)
            if not jobs.drop_rows(self.claim, [int(r["id"]) for r in near], per_part):
                raise JobCancelled("the end step was taken over")
            gone = {int(r["id"]) for r in near}
            rows = [r for r in rows if int(r["id"]) not in gone]
        if not rows:
            tried = sum(p.tried for p in shards)
            if jobs.fail_parts(self.claim, reasons.nothing_kept(tried, {})):
                self.svc.mail(job_id, "failed")
            return False
        skip = frozenset(str(r["file"]) for r in near)
        outcome = self._outcome(rows, shards, len(near), self._deliver(rows, shards, fmt, skip))
        if not jobs.finish_parts(self.claim, outcome):
            return False
        self.svc.mail(job_id, "finished")
        if fmt == "zip":  # the parts are in the archive now
            for part in shards:
                self._drop(str(part.key))
        return True

    def _rewrite(self, near: list[Row], rows: list[Row], shards: list[JobPart], fmt: str) -> None:
        """Each part holding a near copy, and its thumbnails, stored again without it (same
        keys: doing it twice changes nothing); a zip part is left out when assembled."""
        gone = {int(r["id"]) for r in near}
        for part in shards:
            mine = [r for r in rows if int(r["part"]) == part.number]
            drop = {i for i, r in enumerate(mine) if int(r["id"]) in gone}
            if not drop:
                continue
            if fmt != "zip":
                src = download(self.svc.store, str(part.key), self.workdir / "old")
                keys = {f"{int(mine[i]['rank']):08d}" for i in drop}
                without(src, fmt, keys, self.workdir / "new")
                self._put(str(part.key), self.workdir / "new")
            if part.thumbs_key:
                packed = download(self.svc.store, part.thumbs_key, self.workdir / "thumbs")
                with packed.open("rb") as src_pack:
                    thumbpack.without(src_pack, drop, self.workdir / "thumbs.new")
                self._put(part.thumbs_key, self.workdir / "thumbs.new")

    def _deliver(
        self, rows: list[Row], shards: list[JobPart], fmt: str, skip: frozenset[str]
    ) -> tuple[str, int]:
        """Store what the user downloads (``skip``: zip members left out); its key (a folder
        for several files) and size."""
        job_id, names = self.claim.job_id, [part_name(fmt, p.number) for p in shards]
        command = f"job {job_id}"
        info = manifest_info(rows, command=command, wanted=self._items(shards), fmt=fmt)
        info |= {"shards": len(shards), "files": names if fmt != "zip" else []}
        text, about = manifest(rows), json.dumps(info, indent=2, ensure_ascii=False) + "\n"
        if fmt == "zip":
            parts = [download(self.svc.store, str(p.key), self.workdir / f"{p.number}.zip")
                     for p in shards]  # fmt: skip
            archive = assemble_zip(parts, text, about, self.workdir / "images.zip", skip)
            size = archive.stat().st_size
            key = f"{job_id}/{self.claim.attempt}/{archive.name}"
            self._put(key, archive)
            return key, size
        for name, body in (("manifest.csv", text), ("dataset.json", about)):
            path = self.workdir / name
            path.write_text(body, encoding="utf-8", newline="")
            self._put(f"{job_id}/dataset/{name}", path)
        return f"{job_id}/dataset/", sum(int(p.bytes or 0) for p in shards)

    def _outcome(
        self, rows: list[Row], shards: list[JobPart], near: int, stored: tuple[str, int]
    ) -> Outcome:
        rejected: Counter[str] = Counter()
        for part in shards:
            rejected.update(part.rejected or {})
        rejected[str(Reason.DUPLICATE_NEAR)] += near
        items = self._items(shards)
        summary = f"{len(rows)} images kept of {items} URLs in {len(shards)} shards"
        line = licences.summary_line(str(r.get("licence") or "") for r in rows)
        summary = f"{summary}; {line}" if line else summary
        tried = sum(p.tried for p in shards)
        return Outcome(DONE, summary, tried, len(rows), dict(+rejected), stored[0],
                       archive_bytes=stored[1])  # fmt: skip

    def _items(self, shards: list[JobPart]) -> int:
        return sum(p.items for p in shards)

    def _put(self, key: str, path: Path) -> None:
        put_retrying(self.svc.store, key, path, self.svc.settings.store_retry_seconds)

    def _drop(self, key: str) -> None:
        with contextlib.suppress(StoreUnavailable):  # else it goes with the job at expiry
            self.svc.store.delete(key)
