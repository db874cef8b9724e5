"""The one adapter onto the SDK's private HTTP client: it must really carry the SDK's
requests, and say what to do when the SDK no longer has the attribute."""

from __future__ import annotations

import json
from typing import Any

import httpx
import inngest
import pytest
from inngest._internal import net

from harvester.jobs.sdk_transport import SdkChanged, route_sdk_through, sdk_app


def _client() -> inngest.Inngest:
    return inngest.Inngest(
        app_id="adapter-test",
        is_production=False,
        api_base_url="http://engine.invalid",
        event_api_base_url="http://engine.invalid",
    )


async def test_the_sdks_own_event_sends_go_through_the_given_transport() -> None:
    seen: list[tuple[str, str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path, json.loads(request.content)))
        return httpx.Response(200, json={"ids": ["evt-1"], "status": 200})

    client = _client()
    route_sdk_through(client, httpx.MockTransport(handle))
    ids = await client.send(inngest.Event(name="adapter/tested", data={"n": 1}))
    assert ids == ["evt-1"]
    assert len(seen) == 1
    method, path, body = seen[0]
    assert method == "POST" and path.startswith("/e/")
    assert [e["name"] for e in body] == ["adapter/tested"]


def test_a_changed_sdk_is_named_with_what_to_do() -> None:
    client = _client()
    object.__setattr__(client, "_http_client", object())  # the inner attribute is gone
    with pytest.raises(SdkChanged, match=r"update harvester\.jobs\.sdk_transport"):
        route_sdk_through(client, httpx.MockTransport(lambda r: httpx.Response(200)))


# -- the lean in-process call (sdk_app) answers as the SDK's FastAPI endpoint does ----------

SERVE = "/api/inngest"
URL = f"http://app.test{SERVE}"
KEY = "signkey-prod-" + "ab" * 32


def _functions(client: inngest.Inngest) -> list[inngest.Function[Any]]:
    @client.create_function(fn_id="steps", trigger=inngest.TriggerEvent(event="t/steps"))
    async def steps(ctx: inngest.Context) -> str:
        first = await ctx.step.run("first", lambda: {"n": 1})
        await ctx.step.run("second", lambda: first)
        return "done"

    @client.create_function(fn_id="fails", trigger=inngest.TriggerEvent(event="t/fails"))
    async def fails(ctx: inngest.Context) -> None:
        raise inngest.NonRetriableError("bad input: <b>x</b>")

    return [steps, fails]


def _pair(production: bool) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    """The same functions behind FastAPI (``inngest.fast_api.serve``) and ``sdk_app``."""
    import inngest.fast_api
    from fastapi import FastAPI

    client = inngest.Inngest(
        app_id="lean-test",
        is_production=production,
        signing_key=KEY if production else None,
        api_base_url="http://engine.invalid",
        event_api_base_url="http://engine.invalid",
    )
    fns = _functions(client)
    framework = FastAPI()
    inngest.fast_api.serve(framework, client, fns, serve_path=SERVE)
    lean = sdk_app(client, fns, SERVE)
    return (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=framework)),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=lean)),
    )


def _call(fn_id: str, steps: dict[str, Any]) -> bytes:
    event = {"name": f"t/{fn_id}", "data": {"k": 1}, "id": "e1", "ts": 1_700_000_000_000}
    body = {
        "event": event,
        "events": [event],
        "steps": steps,
        "use_api": False,
        "ctx": {
            "run_id": "run-1",
            "attempt": 0,
            "disable_immediate_execution": False,
            "max_attempts": 4,
            "stack": {"stack": list(steps)},
        },
    }
    return json.dumps(body).encode()


VARYING = {"server-timing", "x-inngest-signature"}  # a duration; a signature with its time


def _same(a: httpx.Response, b: httpx.Response) -> None:
    assert (a.status_code, a.content) == (b.status_code, b.content)
    drop = lambda r: {k: v for k, v in r.headers.items() if k not in VARYING}  # noqa: E731
    assert drop(a) == drop(b)
    assert ("x-inngest-signature" in a.headers) == ("x-inngest-signature" in b.headers)


@pytest.mark.parametrize(
    ("fn_id", "steps", "status"),
    [
        ("steps", {}, 206),  # the first step's result, as ops
        ("steps", {"first": {"data": {"n": 1}}}, 206),  # replayed to the second step
        ("fails", {}, 500),  # NonRetriableError: x-inngest-no-retry, its message
    ],
)
async def test_the_lean_call_answers_as_the_fastapi_endpoint(
    fn_id: str, steps: dict[str, Any], status: int
) -> None:
    framework, lean = _pair(production=False)
    body = _call(fn_id, steps)
    url = f"{URL}?fnId=lean-test-{fn_id}&stepId=step"
    headers = {"content-type": "application/json", "x-inngest-server-kind": "dev"}
    a = await framework.post(url, content=body, headers=headers)
    b = await lean.post(url, content=body, headers=headers)
    _same(a, b)
    assert b.status_code == status, b.text
    introspect = [
        await c.get(URL, headers={"x-inngest-server-kind": "dev"}) for c in (framework, lean)
    ]
    _same(*introspect)


async def test_the_lean_call_checks_signatures_as_the_endpoint_does() -> None:
    framework, lean = _pair(production=True)
    body = _call("steps", {})
    url = f"{URL}?fnId=lean-test-steps&stepId=step"
    base = {"content-type": "application/json", "x-inngest-server-kind": "cloud"}
    unsigned = [await c.post(url, content=body, headers=base) for c in (framework, lean)]
    _same(*unsigned)
    assert unsigned[1].status_code == 401
    signed = {**base, "x-inngest-signature": str(net.sign_request(body, KEY))}
    answered = [await c.post(url, content=body, headers=signed) for c in (framework, lean)]
    _same(*answered)
    assert answered[1].status_code == 206 and answered[1].headers["x-inngest-signature"]


async def test_the_lean_call_refuses_other_paths_and_methods() -> None:
    _, lean = _pair(production=False)
    assert (await lean.post("http://app.test/elsewhere", content=b"{}")).status_code == 404
    assert (await lean.delete(URL)).status_code == 405


async def test_the_lean_call_starts_no_event_loop_probe() -> None:
    """The SDK's endpoint starts a task per request to time how long the loop was
    blocked (its Server-Timing ``async_block``, left out when no probe ran); the lean
    call does not, and its header says only what it measured."""
    framework, lean = _pair(production=False)
    body = _call("steps", {})
    url = f"{URL}?fnId=lean-test-steps&stepId=step"
    headers = {"content-type": "application/json", "x-inngest-server-kind": "dev"}
    a = await framework.post(url, content=body, headers=headers)
    b = await lean.post(url, content=body, headers=headers)
    _same(a, b)
    assert "async_block" in a.headers["server-timing"]
    assert "async_block" not in b.headers["server-timing"]
    assert "comm_handler" in b.headers["server-timing"]
