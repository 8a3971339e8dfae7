"""The web tier on its own (``WORKERS=0``, ``$PORT``, ``--host 0.0.0.0``), and a worker whose
settings disagree with the fleet's refusing to start."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.cluster import Cluster
from tests.waiting import wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]


def test_web_tier_runs_no_jobs_and_a_disagreeing_worker_refuses_to_start(
    cluster: Cluster,
) -> None:
    # The platform's $PORT wins over IMGHARVEST_PORT, as on Heroku.
    web = cluster.process("web", ["serve", "--host", "0.0.0.0"], IMGHARVEST_WORKERS="0",
                          PORT=str(cluster.port), IMGHARVEST_PORT=str(free_port()))  # fmt: skip
    web.start()
    health = cluster.wait_ready(workers=0)
    assert [p["role"] for p in health["processes"]] == ["web"]
    job_id = cluster.submit("lonely lark", 3, "l@example.org")
    time.sleep(4)
    assert cluster.job(job_id)["status"] == "scheduled"  # nobody runs jobs in the web tier
    assert "Traceback" not in web.tail(100_000)

    wrong = cluster.worker("wrong", IMGHARVEST_SECRET_KEY="not-the-fleets")
    wrong.start()
    assert wrong.proc is not None and wrong.proc.wait(timeout=60) == 2
    assert "SECRET_KEY differs" in wrong.tail() and "Traceback" not in wrong.tail()

    cluster.worker("right").start()
    wait_for(lambda: cluster.job(job_id)["status"] == "done", timeout=60)
    assert httpx.get(f"{cluster.web}/healthz", timeout=10).json()["workers"] == 1
