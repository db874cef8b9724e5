"""An SDK app and the embedded engine in one process, for the kill -9 test.

usage: crash_app.py DB_URL EFFECTS_FILE PORT [WORKERS SHARED]
Each step appends its name to EFFECTS_FILE (the side effect counted by the test);
the function sleeps between steps, which is where the test kills the process.
With SHARED=1 a step, once recorded, waits until another process has recorded one
too: a process that holds all of its workers can go on only when the other engine
takes work from the shared queue, so the test waits for that condition, not a time.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import inngest
import inngest.fast_api
import uvicorn
from fastapi import FastAPI

from harvester.engine import Engine, EngineConfig
from harvester.jobs.sdk_transport import route_sdk_through
from harvester.web.api.runs import standalone_router

DB_URL, EFFECTS, PORT = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
WORKERS = int(sys.argv[4]) if len(sys.argv) > 4 else 8
SHARED = len(sys.argv) > 5 and sys.argv[5] == "1"
STEPS = 6
SHARED_WAIT_S = 60.0


async def _until_another_process_worked() -> None:
    me, deadline = str(os.getpid()), time.monotonic() + SHARED_WAIT_S
    while time.monotonic() < deadline:
        lines = EFFECTS.read_text().splitlines() if EFFECTS.exists() else []
        if any(ln.split()[1] != me for ln in lines):
            return
        await asyncio.sleep(0.02)
    raise RuntimeError(f"no other engine process ran a step within {SHARED_WAIT_S}s")


client = inngest.Inngest(
    app_id="crash",
    is_production=False,
    api_base_url=f"http://127.0.0.1:{PORT}",
    event_api_base_url=f"http://127.0.0.1:{PORT}",
)


@client.create_function(fn_id="steps", trigger=inngest.TriggerEvent(event="t/crash"))
async def steps(ctx: inngest.Context) -> int:
    for i in range(STEPS):

        async def effect(i: int = i) -> int:
            with EFFECTS.open("a") as fh:
                fh.write(f"{ctx.run_id}:{i} {os.getpid()}\n")
            if SHARED:
                await _until_another_process_worked()
            return i

        await ctx.step.run(f"effect-{i}", effect)
        await ctx.step.sleep(f"pause-{i}", timedelta(seconds=1))
    return STEPS


engine = Engine(EngineConfig(database_url=DB_URL, port=PORT, poll_interval=0.05, workers=WORKERS))
app = FastAPI()
app.include_router(engine.router)
app.include_router(standalone_router())  # the run API the test polls
app.state.engine = engine
inngest.fast_api.serve(app, client, [steps])
route_sdk_through(client, httpx.ASGITransport(app=app))


@app.on_event("startup")
async def boot() -> None:
    await engine.start()
    await engine.register_app(
        f"http://127.0.0.1:{PORT}/api/inngest", transport=httpx.ASGITransport(app=app)
    )


@app.on_event("shutdown")
async def bye() -> None:
    await engine.stop(timeout=10)  # finish in-flight calls, release the rest


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
