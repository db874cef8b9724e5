"""Where an unchanged SDK app can tell the engine from the Inngest dev server, it
must not (issue 20): failed outputs, no-retry step errors, event ids, big payloads."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import inngest
import pytest
from inngest._internal import net
from inngest.experimental import ai

from harvester.engine import Engine, EngineConfig, RunStatus

from .harness import engine_app, run_of, running


def _client(engine: Engine) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=engine_app(engine)), base_url="http://engine"
    )


async def _gql_run(engine: Engine, run_id: str) -> dict[str, Any]:
    query = "query($id: ID!) { run(runID: $id) { status output } }"
    async with _client(engine) as http:
        res = await http.post("/v0/gql", json={"query": query, "variables": {"id": run_id}})
    run: dict[str, Any] = res.json()["data"]["run"]
    return run


async def test_failed_run_output_is_the_sdk_error_body_with_its_code(sqlite_url: str) -> None:
    failures: list[dict[str, Any]] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        async def on_failure(ctx: inngest.Context) -> None:
            failures.append(dict(ctx.event.data["error"]))

        @client.create_function(
            fn_id="nope", on_failure=on_failure, trigger=inngest.TriggerEvent(event="c/nope")
        )
        async def nope(ctx: inngest.Context) -> None:
            raise inngest.NonRetriableError("never again")

        return [nope]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "c/nope", "data": {}}])
        run = await run_of(engine, eid)
        await engine.wait_for_idle(timeout=10)
        shown = await _gql_run(engine, run.run_id)
    assert shown["status"] == RunStatus.FAILED
    output = json.loads(shown["output"])
    assert output["code"] == "non_retriable_error"
    assert output["name"] == "NonRetriableError" and output["message"] == "never again"
    # inngest/function.failed carries the dev server's StandardError, without the code
    # (issue 30, 3): a no-retry reply's driver error is "NonRetriableError".
    assert failures and failures[0]["error"] == "NonRetriableError" and "code" not in failures[0]
    assert failures[0]["message"] == "never again"


async def test_a_step_error_marked_no_retry_is_memoised_at_once(sqlite_url: str) -> None:
    outer_calls: list[int] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="nested", retries=4, trigger=inngest.TriggerEvent(event="c/nested")
        )
        async def nested(ctx: inngest.Context) -> None:
            async def outer() -> int:
                outer_calls.append(1)
                return await ctx.step.run("inner", lambda: 1)  # nested: never retriable

            await ctx.step.run("outer", outer)

        return [nested]

    # A base delay so large that one retry of the step would outlive the test.
    async with running(fns, sqlite_url) as engine:
        engine.cfg.retry_base_delay = 600.0
        (eid,) = await engine.send([{"name": "c/nested", "data": {}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.FAILED
    assert outer_calls == [1]
    assert run.error is not None and run.error.get("code") == "step_errored"


class _LosesFirstEventReply(httpx.AsyncBaseTransport):
    """Delivers every request, but the first event send's reply is lost (a 502 from a
    proxy, say): the SDK sends the same request again, with the same id seed."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        res = await self.inner.handle_async_request(request)
        if request.url.path.startswith("/e/") and not self.lost:
            self.lost += 1
            await res.aread()
            return httpx.Response(502, json={"error": "bad gateway"})
        return res


async def test_a_resent_batch_gets_the_same_ids_from_its_seed(sqlite_url: str) -> None:
    seen: list[str] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="seeded", trigger=inngest.TriggerEvent(event="c/seeded"))
        async def seeded(ctx: inngest.Context) -> None:
            seen.append(str(ctx.event.data["n"]))

        fns.client = client  # type: ignore[attr-defined]
        return [seeded]

    async with running(fns, sqlite_url) as engine:
        client: inngest.Inngest = fns.client  # type: ignore[attr-defined]
        lossy = _LosesFirstEventReply(httpx.ASGITransport(app=engine_app(engine)))
        route = net.ThreadAwareAsyncHTTPClient(transport=lossy).initialize()
        client._http_client._http_client = route
        events = [inngest.Event(name="c/seeded", data={"n": n}) for n in (1, 2)]
        ids = await client.send(events)
        assert lossy.lost == 1  # the first reply was lost and the SDK sent again
        for event_id in ids:
            await run_of(engine, event_id)
        await engine.wait_for_idle(timeout=10)
        stored = engine.list_events(name="c/seeded", limit=10)
    assert len(ids) == 2 and len(stored) == 2  # stored once, not twice
    assert sorted(seen) == ["1", "2"]
    assert all(len(e.id) == 26 for e in stored)  # ULIDs, as the server derives them


async def test_a_streamed_reply_is_the_result_it_wraps(sqlite_url: str) -> None:
    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="streamed", trigger=inngest.TriggerEvent(event="c/stream"))
        async def streamed(ctx: inngest.Context) -> str:
            first = await ctx.step.run("first", lambda: "a")
            if ctx.event.data.get("fail"):
                raise inngest.NonRetriableError("streamed failure")
            return f"{first}b"

        return [streamed]

    force = {"streaming": inngest.Streaming.FORCE}  # 201, keep-alive bytes, then the result
    async with running(fns, sqlite_url, serve=force) as engine:
        ok, bad = await engine.send(
            [{"name": "c/stream", "data": {}}, {"name": "c/stream", "data": {"fail": True}}]
        )
        done, failed = await run_of(engine, ok), await run_of(engine, bad)
    assert done.status == RunStatus.COMPLETED and done.output == "ab"
    assert failed.status == RunStatus.FAILED and failed.attempt == 0  # no-retry kept
    assert failed.error is not None and failed.error["code"] == "non_retriable_error"


class _Model(http.server.BaseHTTPRequestHandler):
    """A loopback stand-in for an OpenAI-compatible model: echoes what it was sent."""

    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        names = ("authorization", "x-api-key", "anthropic-version")
        heard = {h: self.headers[h] for h in names if h in self.headers}
        auth = heard.pop("authorization", None)
        self.seen.append({"path": self.path, "auth": auth, **heard, **body})
        reply = json.dumps({"choices": [{"message": {"content": f"echo {body['model']}"}}]})
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def model_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Model)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Model.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    thread.join()


async def test_step_ai_infer_makes_the_request_and_memoises_the_answer(
    sqlite_url: str, model_url: str
) -> None:
    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="infer", trigger=inngest.TriggerEvent(event="c/infer"))
        async def infer(ctx: inngest.Context) -> Any:
            adapter = ai.openai.Adapter(auth_key="k-test", base_url=model_url, model="m1")
            body = {"messages": [{"role": "user", "content": "hi"}]}
            answer = await ctx.step.ai.infer("ask", adapter=adapter, body=body)
            await ctx.step.run("after", lambda: None)  # the answer is memoised, not re-asked
            return answer["choices"][0]["message"]["content"]

        return [infer]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "c/infer", "data": {}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.COMPLETED and run.output == "echo m1"
    assert len(_Model.seen) == 1
    assert _Model.seen[0]["path"] == "/v1/chat/completions"
    assert _Model.seen[0]["auth"] == "Bearer k-test"


async def test_an_op_the_engine_does_not_know_fails_the_run_clearly(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inngest._internal import server_lib

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="odd", trigger=inngest.TriggerEvent(event="c/odd"))
        async def odd(ctx: inngest.Context) -> None:
            await ctx.step.sleep("nap", 1)

        return [odd]

    # An SDK newer than the engine: its sleep goes out under an op name we do not know.
    monkeypatch.setattr(server_lib.Opcode.SLEEP, "_value_", "SleepTogether")
    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "c/odd", "data": {}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.FAILED
    assert run.error is not None and "SleepTogether" in run.error["message"]


async def test_a_pending_invoke_in_a_parallel_group_starts_its_child_once(
    sqlite_url: str,
) -> None:
    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="kid", trigger=inngest.TriggerEvent(event="c/kid"))
        async def kid(ctx: inngest.Context) -> str:
            await ctx.step.wait_for_event("release", event="c/release", timeout=3_600_000)
            return "kid done"

        @client.create_function(fn_id="mum", trigger=inngest.TriggerEvent(event="c/mum"))
        async def mum(ctx: inngest.Context) -> Any:
            both = await ctx.group.parallel(
                (
                    lambda: ctx.step.run("quick", lambda: "quick done"),
                    lambda: ctx.step.invoke("call-kid", function=kid, data={}),
                )
            )
            return list(both)

        return [kid, mum]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "c/mum", "data": {}}])
        # The quick step ends while the child waits: every round after it has run.
        await engine.wait_for_idle(timeout=20)
        assert len(engine.list_runs(fn="test-kid").data) == 1
        await engine.send([{"name": "c/release", "data": {}}])
        run = await run_of(engine, eid)
        kids = engine.list_runs(fn="test-kid").data
    assert run.status == RunStatus.COMPLETED and run.output == ["quick done", "kid done"]
    assert len(kids) == 1


async def test_race_mode_runs_discovery_after_each_parallel_step(sqlite_url: str) -> None:
    """Branch one has two steps in a row; branch two's step only ends once the second
    step of branch one has run, which it can only do when discovery follows each step."""
    second_ran = asyncio.Event()

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="racer", trigger=inngest.TriggerEvent(event="c/race"))
        async def racer(ctx: inngest.Context) -> Any:
            async def branch_one() -> str:
                first = await ctx.step.run("one-a", lambda: "a")
                return str(first) + str(await ctx.step.run("one-b", _second))

            async def _second() -> str:
                second_ran.set()
                return "b"

            async def slow() -> str:
                await asyncio.wait_for(second_ran.wait(), timeout=15)
                return "slow"

            return list(
                await ctx.group.parallel(
                    (branch_one, lambda: ctx.step.run("two", slow)),
                    parallel_mode=inngest.ParallelMode.RACE,
                )
            )

        return [racer]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "c/race", "data": {}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.COMPLETED, run.error
    assert run.output == ["ab", "slow"]


async def test_after_a_parallel_group_the_next_step_runs_at_once(sqlite_url: str) -> None:
    """disable_immediate_execution, as the dev server sets it: on while the run fans
    out (each parallel step is planned, then run), off again once the group is done,
    so the discovery after it runs "later" in the same call (maybeResetForceStepPlan)."""
    calls: list[str] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="after", trigger=inngest.TriggerEvent(event="c/after"))
        async def after(ctx: inngest.Context) -> str:
            calls.append("call")
            await ctx.group.parallel(
                (lambda: ctx.step.run("p1", lambda: 1), lambda: ctx.step.run("p2", lambda: 2))
            )
            return str(await ctx.step.run("later", lambda: "x"))

        return [after]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "c/after", "data": {}}])
        run = await run_of(engine, eid)
        detail = engine.get_run(run.run_id)
    assert run.status == RunStatus.COMPLETED and run.output == "x"
    # discovery, p1, p2, discovery running "later", final call (not 6: no planning)
    assert len(calls) == 5
    assert detail is not None
    assert [s.name for s in detail.steps if s.op == "StepRun"][-1] == "later"


@pytest.mark.parametrize("signed", [False, True], ids=["dev", "signed"])
async def test_a_large_state_is_left_out_and_the_sdk_fetches_it(
    sqlite_url: str, signed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harvester.engine import executor

    seen: list[bool] = []
    real = executor.request_body

    def spy(*args: Any) -> dict[str, Any]:  # what the engine sends each call
        body = real(*args)
        seen.append(body["use_api"])
        return body

    monkeypatch.setattr(executor, "request_body", spy)

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="big", trigger=inngest.TriggerEvent(event="c/big"))
        async def big(ctx: inngest.Context) -> Any:
            blob = await ctx.step.run("blob", lambda: "x" * 5_000)
            tail = await ctx.step.run("tail", lambda: len(blob))
            return {"tail": tail, "n": ctx.event.data["n"], "events": len(ctx.events)}

        return [big]

    key = "signkey-test-0123456789abcdef0123456789abcdef" if signed else None
    extra: dict[str, Any] = {"dev": False, "signing_key": key, "event_key": "ek"} if signed else {}
    async with running(
        fns, sqlite_url, sdk_signing_key=key, inline_state_bytes=2_000, **extra
    ) as engine:
        (eid,) = await engine.send([{"name": "c/big", "data": {"n": 7}}])
        run = await run_of(engine, eid)
        detail = engine.get_run(run.run_id)
    assert run.status == RunStatus.COMPLETED, run.error
    assert run.output == {"tail": 5_000, "n": 7, "events": 1}
    assert seen[0] is False and seen[-1] is True  # inline while small, then fetched
    assert detail is not None and [s.name for s in detail.steps] == ["blob", "tail"]  # once


def retry_after_app(calls: list[str | None]) -> Any:
    """A protocol-level app (the SDK of today sends Retry-After only at function level):
    its first call answers a step error (206) with Retry-After now, then the step's
    result, then the function's; ``calls`` gets each call's stepId."""
    from datetime import UTC, datetime

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    step = {"id": "s", "name": "s", "displayName": "s"}

    async def serve(request: Request) -> Response:
        if request.method == "PUT":
            return JSONResponse({})
        calls.append(request.query_params.get("stepId"))
        if len(calls) == 1:
            soon = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            error = {"name": "Error", "message": "rate limited", "stack": None}
            return JSONResponse(
                [{**step, "op": "StepError", "error": error}],
                status_code=206,
                headers={"retry-after": soon},
            )
        if len(calls) == 2:
            return JSONResponse([{**step, "op": "StepRun", "data": 1}], status_code=206)
        return JSONResponse("done")

    return Starlette(routes=[Route("/api", serve, methods=["PUT", "POST"])])


def register_raw(engine: Engine, url: str) -> None:
    """Sync ``retry_after_app``'s one function, ``raw-f`` on ``r/x``, served at ``url``."""
    runtime = {"type": "http", "url": f"{url}?fnId=raw-f"}
    fn = {"id": "raw-f", "name": "f", "triggers": [{"event": "r/x"}]}
    engine.register(url, "raw", [{**fn, "steps": {"step": {"id": "step", "runtime": runtime}}}])


async def test_a_step_errors_retry_after_sets_when_it_is_retried(sqlite_url: str) -> None:
    """The SDK of today sends Retry-After only at function level; a reply with it on a
    step's error (another SDK, a proxy) is honoured too. A protocol-level app here."""
    calls: list[str | None] = []
    url = "http://raw:80/api"
    cfg = EngineConfig(database_url=sqlite_url, retry_base_delay=600.0, poll_interval=0.02)
    engine = Engine(cfg)
    await engine.start()
    try:
        await engine.register_app(url, transport=httpx.ASGITransport(app=retry_after_app(calls)))
        register_raw(engine, url)
        (eid,) = await engine.send([{"name": "r/x", "data": {}}])
        run = await run_of(engine, eid)
    finally:
        await engine.stop()
        engine.close()
    assert run.status == RunStatus.COMPLETED and run.output == "done"
    assert len(calls) == 3  # the retry came at Retry-After, not after minutes of backoff
