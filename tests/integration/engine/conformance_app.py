"""An unchanged SDK app in its own process, streaming its replies (201, keep-alive,
then the result), for the over-HTTP conformance test.  usage: conformance_app.py PORT
MODEL_URL (an OpenAI-compatible loopback stand-in for step.ai.infer)"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

import inngest
import inngest.fast_api
import uvicorn
from fastapi import FastAPI
from inngest.experimental import ai
from inngest.experimental.remote_state_middleware import InMemoryDriver, RemoteStateMiddleware

client = inngest.Inngest(app_id="conf", is_production=False)
MODEL_URL = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:9/v1"


@client.create_function(fn_id="fails", trigger=inngest.TriggerEvent(event="h/fails"))
async def fails(ctx: inngest.Context) -> None:
    raise inngest.NonRetriableError("over http")


async def _failed(ctx: inngest.Context) -> Any:
    """Reads ``error["error"]`` as on_failure handlers written for the dev server do."""
    error = ctx.event.data["error"]
    assert isinstance(error, dict)
    return {"error": error["error"], "keys": sorted(error)}


@client.create_function(
    fn_id="doomed", on_failure=_failed, retries=0, trigger=inngest.TriggerEvent(event="h/doomed")
)
async def doomed(ctx: inngest.Context) -> None:
    raise ValueError("boom")


@client.create_function(fn_id="odd", retries=0, trigger=inngest.TriggerEvent(event="h/odd"))
async def odd(ctx: inngest.Context) -> Any:
    return object()  # the SDK cannot serialise it: the run fails, with no stack


_remote = RemoteStateMiddleware.factory(InMemoryDriver())


@client.create_function(
    fn_id="remote", middleware=[_remote], trigger=inngest.TriggerEvent(event="h/remote")
)
async def remote(ctx: inngest.Context) -> Any:
    """Step output kept outside the engine (the engine memoises the driver's marker),
    and a state over the engine's inline limit (``use_api``): both fetched back."""
    big = await ctx.step.run("big", lambda: "y" * 3_000)
    small = await ctx.step.run("small", lambda: {"n": 1})
    return {"big": len(big), "small": small}


@client.create_function(fn_id="nested", retries=4, trigger=inngest.TriggerEvent(event="h/nested"))
async def nested(ctx: inngest.Context) -> None:
    async def outer() -> Any:
        return await ctx.step.run("inner", lambda: 1)

    await ctx.step.run("outer", outer)


@client.create_function(fn_id="kid", trigger=inngest.TriggerEvent(event="h/kid"))
async def kid(ctx: inngest.Context) -> str:
    await ctx.step.wait_for_event("release", event="h/release", timeout=3_600_000)
    return "kid"


@client.create_function(fn_id="mum", trigger=inngest.TriggerEvent(event="h/mum"))
async def mum(ctx: inngest.Context) -> Any:
    adapter = ai.openai.Adapter(auth_key="k", base_url=MODEL_URL, model="m2")
    answer = await ctx.step.ai.infer("ask", adapter=adapter, body={"messages": []})
    both = await ctx.group.parallel(
        (
            lambda: ctx.step.run("big", lambda: "x" * 5_000),
            lambda: ctx.step.invoke("call-kid", function=kid, data={}),
        )
    )
    return {"answer": answer["choices"][0]["message"]["content"], "both": [len(both[0]), both[1]]}


@client.create_function(fn_id="claude", trigger=inngest.TriggerEvent(event="h/claude"))
async def claude(ctx: inngest.Context) -> Any:
    """The Anthropic adapter: its auth and version headers must reach the model."""
    adapter = ai.anthropic.Adapter(auth_key="sk-ant", base_url=MODEL_URL, model="c3")
    answer = await ctx.step.ai.infer("ask", adapter=adapter, body={"max_tokens": 5})
    return answer["choices"][0]["message"]["content"]


@client.create_function(fn_id="slow", retries=0, trigger=inngest.TriggerEvent(event="h/slow"))
async def slow(ctx: inngest.Context) -> str:
    await asyncio.sleep(12)  # streamed: a keep-alive byte every 3 s meanwhile
    return "late"


@client.create_function(fn_id="ok", trigger=inngest.TriggerEvent(event="h/ok"))
async def ok(ctx: inngest.Context) -> Any:
    return ctx.event.data.get("n")


# Per run: set once branch one's second step has run (race mode only gets there).
_second_ran: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)


@client.create_function(fn_id="racer", trigger=inngest.TriggerEvent(event="h/race"))
async def racer(ctx: inngest.Context) -> Any:
    second_ran = _second_ran[ctx.run_id]

    async def second() -> str:
        second_ran.set()
        return "b"

    async def branch_one() -> str:
        return str(await ctx.step.run("one-a", lambda: "a")) + str(
            await ctx.step.run("one-b", second)
        )

    async def slow() -> str:  # in wait mode this times out: a retry takes ten minutes
        await asyncio.wait_for(second_ran.wait(), timeout=10)
        return "slow"

    return list(
        await ctx.group.parallel(
            (branch_one, lambda: ctx.step.run("two", slow)),
            parallel_mode=inngest.ParallelMode.RACE,
        )
    )


_calls: Counter[str] = Counter()  # calls per run, as this app saw them


@client.create_function(fn_id="after", trigger=inngest.TriggerEvent(event="h/after"))
async def after(ctx: inngest.Context) -> Any:
    _calls[ctx.run_id] += 1
    await ctx.group.parallel(
        (lambda: ctx.step.run("p1", lambda: 1), lambda: ctx.step.run("p2", lambda: 2))
    )
    later = await ctx.step.run("later", lambda: "x")
    return {"later": later, "calls": _calls[ctx.run_id]}


@client.create_function(fn_id="later", trigger=inngest.TriggerEvent(event="h/later"))
async def later(ctx: inngest.Context) -> int:
    if ctx.attempt == 0:  # the SDK's Retry-After header, on the function's error reply
        raise inngest.RetryAfterError("not yet", timedelta(milliseconds=200))
    return ctx.attempt


app = FastAPI()
inngest.fast_api.serve(
    app,
    client,
    [fails, doomed, odd, remote, nested, kid, mum, claude, slow, ok, racer, after, later],
    streaming=inngest.Streaming.FORCE,
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
