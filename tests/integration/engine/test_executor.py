"""Calls into an in-process app go straight through ASGI: the app must see the same
request it would get over HTTP, and a crashing app must read as a failed call."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from harvester.engine.executor import call

URL = "http://app.local:8000/api/inngest?fnId=f&stepId=step"


def _app(seen: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.post("/api/inngest")
    async def endpoint(request: Request) -> JSONResponse:
        seen.update(
            query=dict(request.query_params),
            kind=request.headers["x-inngest-server-kind"],
            host=request.headers["host"],
            body=json.loads(await request.body()),
        )
        return JSONResponse([{"op": "StepRun", "id": "abc", "data": 1}], status_code=206)

    @app.post("/boom")
    async def boom() -> None:
        raise RuntimeError("the app crashed")

    return app


async def test_an_in_process_app_gets_the_request_it_would_get_over_http() -> None:
    seen: dict[str, Any] = {}
    out = await call(_app(seen), URL, {"event": {"name": "x"}}, signing_key=None, dev=True, now=0.0)
    assert out.status == 206 and out.ops == [{"op": "StepRun", "id": "abc", "data": 1}]
    assert seen == {
        "query": {"fnId": "f", "stepId": "step"},
        "kind": "dev",
        "host": "app.local:8000",
        "body": {"event": {"name": "x"}},
    }


async def test_a_crashing_in_process_app_is_a_failed_call_not_an_engine_error() -> None:
    out = await call(_app({}), "http://app.local/boom", {}, signing_key=None, dev=True, now=0.0)
    assert out.status == 500 and out.error is not None
    assert out.output is None and not out.ops


async def test_an_unsigned_answer_is_refused_outside_dev_mode() -> None:
    out = await call(_app({}), URL, {}, signing_key="signkey-prod-" + "ab" * 16, dev=False, now=0.0)
    assert out.status == 401 and out.error is not None
    assert out.error["name"] == "SignatureError"
