"""A plain SDK app (no engine inside), as a user would write it: run with uvicorn,
INNGEST_DEV=1 and INNGEST_BASE_URL pointing at the engine.  usage: remote_app.py PORT"""

from __future__ import annotations

import sys

import inngest
import inngest.fast_api
import uvicorn
from fastapi import FastAPI

client = inngest.Inngest(app_id="remote", is_production=False)


@client.create_function(fn_id="hello", trigger=inngest.TriggerEvent(event="r/hello"))
async def hello(ctx: inngest.Context) -> str:
    greeting = await ctx.step.run("greet", lambda: f"hello {ctx.event.data['who']}")
    await ctx.step.send_event("done", inngest.Event(name="r/done", data={"g": greeting}))
    return str(greeting)


app = FastAPI()
inngest.fast_api.serve(app, client, [hello])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
