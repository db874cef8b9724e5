"""Schemathesis over the engine's routes in the app (the Inngest protocol routes, the
dev server's /v1 API and the run API under /api/v1): no input makes a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.web.app import create_app


def _engine_operations(schema: Any) -> list[Any]:
    ops = []
    for result in schema.get_all_operations():
        op = result.ok()
        tags = set(op.definition.raw.get("tags") or [])
        if tags & {"inngest", "runs"}:
            ops.append(op)
    return ops


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_schemathesis_finds_no_server_errors_on_the_engine_routes(tmp_path: Path) -> None:
    import schemathesis
    from schemathesis.checks import not_a_server_error

    runtime = build_runtime(Settings(data_dir=tmp_path))
    app = create_app(runtime, start_engine=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ops = _engine_operations(schema)
    assert len(ops) >= 10, [op.path for op in ops]  # the engine's routes are in the schema
    failures = []
    for op in ops:

        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=op.as_strategy())
        def check(case: Any) -> None:
            response = case.call()
            case.validate_response(response, checks=(not_a_server_error,))

        try:
            check()
        except Exception as exc:  # collect all, report together
            failures.append(f"{op.method} {op.path}: {str(exc)[:400]}")
    await runtime.aclose()
    assert not failures, "\n".join(failures)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
EVENTS = st.dictionaries(st.sampled_from(["name", "data", "id", "ts", "user", "v"]), JSON)
BODIES = (
    st.binary(max_size=300)
    | JSON.map(repr).map(str.encode)
    | EVENTS.map(repr).map(lambda r: r.replace("'", '"').encode())
)


def test_fuzzed_bodies_on_the_body_reading_routes_never_make_a_500(tmp_path: Path) -> None:
    """The protocol routes read raw bodies, so the schema has none to fuzz: fuzz them here."""
    runtime = build_runtime(Settings(data_dir=tmp_path))
    app = create_app(runtime, start_engine=False)
    routes = ["/e/k", "/fn/register", "/api/v1/events", "/v0/gql", "/api/inngest"]
    with TestClient(app) as client:

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(route=st.sampled_from(routes), body=BODIES)
        def check(route: str, body: bytes) -> None:
            res = client.post(route, content=body, headers={"content-type": "application/json"})
            assert res.status_code < 500, (route, body[:200], res.text[:300])

        check()
