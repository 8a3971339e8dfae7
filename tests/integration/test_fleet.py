"""Fleet parts on a real PostgreSQL database: migrations started together, the housekeeping
lease, the settings every process must share, the heartbeat table, ``/healthz``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect

from imgharvest.clock import ManualClock
from imgharvest.errors import ConfigError
from imgharvest.service.fleet import Fleet, check_settings, require_shared
from imgharvest.service.leases import Leases
from imgharvest.service.services import build_services
from imgharvest.store.db import make_engine, make_sessions, upgrade
from imgharvest.web.app import create_app
from tests.services import FreshDatabase, TcpProxy

pytestmark = pytest.mark.services


def test_processes_migrating_a_new_database_together_all_succeed(fresh_db: FreshDatabase) -> None:
    engines = [make_engine(fresh_db.url) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(upgrade, engines))  # each raises if its migration failed
    assert {"jobs", "leases", "workers", "fleet_settings"} <= set(
        inspect(engines[0]).get_table_names()
    )
    for engine in engines:
        engine.dispose()


def test_one_housekeeper_at_a_time_and_the_lease_passes_on_when_it_lapses(
    fresh_db: FreshDatabase,
) -> None:
    engine = make_engine(fresh_db.url)
    upgrade(engine)
    clock = ManualClock()
    leases = Leases(make_sessions(engine), clock)
    assert leases.acquire("housekeeping", "a:1", 30)
    assert not leases.acquire("housekeeping", "b:2", 30)
    assert leases.acquire("housekeeping", "a:1", 30)  # renewed by its holder
    clock.advance(31)
    assert leases.acquire("housekeeping", "b:2", 30) and leases.holder("housekeeping") == "b:2"
    leases.release("housekeeping", "b:2")
    assert leases.holder("housekeeping") is None
    engine.dispose()


def shared(make_settings: Any, db: FreshDatabase, **extra: Any) -> Any:
    values = {"database_url": db.url, "queue_url": "redis://127.0.0.1:6379/15",
              "storage_url": "file:///srv/shared/archives", "public_url": "https://img.example",
              "secret_key": "s3cret", **extra}  # fmt: skip
    return make_settings(**values)


def test_a_process_whose_settings_differ_from_the_live_fleet_refuses_and_names_them(
    make_settings: Any, fresh_db: FreshDatabase
) -> None:
    first = build_services(shared(make_settings, fresh_db))
    check_settings(first.settings, Fleet(first.sessions, first.clock, "worker"))
    other = shared(make_settings, fresh_db, link_ttl_seconds=60, public_url="https://other")
    with pytest.raises(ConfigError, match=r"PUBLIC_URL differs .*PUBLIC_URL, LINK_TTL_SECONDS"):
        check_settings(other, Fleet(first.sessions, first.clock, "web", "other-host:2"))
    same = shared(make_settings, fresh_db)
    check_settings(same, Fleet(first.sessions, first.clock, "web", "other-host:2"))  # joins
    assert len(Fleet(first.sessions, first.clock, "web").alive()) == 2
    first.close()


def test_a_shared_database_needs_the_settings_that_cannot_be_derived_per_machine(
    make_settings: Any, fresh_db: FreshDatabase
) -> None:
    require_shared(make_settings())  # SQLite: one machine, everything may be derived
    require_shared(shared(make_settings, fresh_db))
    cases = [("secret_key", "SECRET_KEY"), ("public_url", "PUBLIC_URL"),
             ("storage_url", "STORAGE_URL"), ("queue_url", "QUEUE_URL")]  # fmt: skip
    for field, name in cases:
        missing = {field: ""}
        with pytest.raises(ConfigError, match=name):
            require_shared(shared(make_settings, fresh_db, **missing))


async def test_healthz_lists_live_processes_and_the_heartbeat_table(
    make_settings: Any, fresh_db: FreshDatabase
) -> None:
    services = build_services(shared(make_settings, fresh_db))
    Fleet(services.sessions, services.clock, "worker").beat()
    transport = httpx.ASGITransport(create_app(services.settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        body = (await client.get("/healthz")).json()
    assert body["database"] is True and body["workers"] == 1
    assert [p["role"] for p in body["processes"]] == ["worker"]
    services.close()


async def test_the_api_answers_503_not_500_while_the_database_is_away(
    make_settings: Any, fresh_db: FreshDatabase
) -> None:
    proxy = TcpProxy(5432)  # cut between this app and the shared server, not the server
    proxy.start()
    via = fresh_db.url.replace(":5432/", f":{proxy.port}/")
    services = build_services(shared(make_settings, fresh_db, database_url=via, queue_url=""))
    transport = httpx.ASGITransport(create_app(services.settings, services))
    body = {"query": "503 sparrow", "count": 3, "email": "s@example.org"}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            proxy.cut()
            away = await client.post("/api/v1/jobs/search", json=body)
            assert away.status_code == 503 and away.headers["retry-after"] == "5"
            assert "cannot be reached" in away.json()["errors"]["database"]
            assert (await client.get("/healthz")).status_code == 503
            proxy.restore()
            back = await client.post("/api/v1/jobs/search", json=body)
            assert back.status_code == 201
    finally:
        services.close()
        proxy.stop()
