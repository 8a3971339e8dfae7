"""Issue 8, acceptance 1 and issue 16, acceptance 10: a bounded schemathesis run over /api/v1
finds no 5xx and no answer that breaks the OpenAPI schema (statuses, content types, bodies,
headers as documented). The operations on one job also run on jobs that exist, with their
owner's token, another job's token or none, so every answer of cancel and retry is checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from imgharvest.clock import ManualClock
from imgharvest.service.schemas import SearchRequest
from imgharvest.service.services import Services, build_services
from imgharvest.settings import Settings
from imgharvest.web.app import create_app

CASES_PER_OPERATION = 150  # per mode
SOURCE_URLS = ("bing", "duckduckgo", "google", "openverse", "wikimedia", "flickr", "pexels",
               "pixabay", "unsplash")  # fmt: skip
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    data: Path = tmp_path_factory.mktemp("fuzz") / "data"
    # Sources point at an address the network guard refuses at once: a checked source fails
    # fast, and nothing leaves the machine.
    away = {f"{name}_url": "http://127.0.0.1:9" for name in SOURCE_URLS}
    cfg = Settings(
        _env_file=None, data_dir=data, secret_key="fuzz", submit_rate_per_minute=10**6, **away
    )
    services = build_services(cfg, clock=ManualClock())
    yield services
    services.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed_services: Services) -> Any:
    app = create_app(fuzzed_services.settings, fuzzed_services)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


OPERATIONS = [
    ("POST", "/api/v1/jobs/search"),
    ("POST", "/api/v1/jobs/crawl"),
    ("GET", "/api/v1/jobs/{job_id}"),
    ("GET", "/api/v1/jobs/{job_id}/images"),
    ("POST", "/api/v1/jobs/{job_id}/cancel"),
    ("POST", "/api/v1/jobs/{job_id}/retry"),
    ("GET", "/api/v1/sources"),
    ("GET", "/healthz"),
    ("POST", "/api/v1/jobs/fetch"),
    ("GET", "/api/v1/jobs/{job_id}/files"),
]


def test_every_api_operation_is_fuzzed(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    listed = {(op.method.upper(), op.path) for op in operations}
    assert listed == set(OPERATIONS)


# Negative cases (bodies that break the schema) for the operations that take a body;
# a path parameter typed as any string has no negative cases.
RUNS = [(*op, GenerationMode.POSITIVE) for op in OPERATIONS] + [
    (*op, GenerationMode.NEGATIVE) for op in (*OPERATIONS[:2], ("POST", "/api/v1/jobs/fetch"))
]


@pytest.fixture(scope="module")
def jobs(fuzzed_services: Services) -> list[tuple[str, str]]:
    """Jobs that exist, with their owner tokens (id, token)."""
    service, now = fuzzed_services.jobs, fuzzed_services.clock.now()
    made = [service.create_search(SearchRequest(f"fuzz {i}", now, None, 3)) for i in range(8)]
    return [(view.id, view.owner_token or "") for view in made]


def on_a_real_job(case: Any, jobs: list[tuple[str, str]], n: int) -> None:
    """Every other case of an operation on one job: a job that exists, and by turns its
    owner's token, another job's, or the generated credentials."""
    if n % 2 or "job_id" not in (case.path_parameters or {}):
        return
    job_id, token = jobs[(n // 2) % len(jobs)]
    case.path_parameters["job_id"] = job_id
    other = jobs[(n // 2 + 1) % len(jobs)][1]
    chosen = (token, other, None)[(n // 2) % 3]
    if chosen is not None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {chosen}"}


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path", "mode"), RUNS)
def test_api_answers_every_generated_request_as_documented(
    api_schema: Any, jobs: list[tuple[str, str]], method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]
    seen: list[int] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=CASES_PER_OPERATION, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    def one(case: Any) -> None:
        on_a_real_job(case, jobs, len(seen))
        seen.append(case.call_and_validate(checks=CHECKS).status_code)

    one()
    # an operation without parameters has one distinct request to make
    assert len(seen) >= (1 if path == "/healthz" else 20)
    assert all(status < 500 for status in seen)
    if path.endswith(("/cancel", "/retry")):  # the owner's answers were reached, and the rest
        assert {401, 403, 404} <= set(seen) and set(seen) & {200, 201, 409}, sorted(set(seen))
