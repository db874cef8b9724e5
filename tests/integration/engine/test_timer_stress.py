"""Timers that always fire: 200 ``wait_for_event`` waits whose event never comes
(timeouts of 1 and 2 s, the shortest the SDK takes) end on time, while other runs
start and end and other waits are answered, on two engine processes sharing one
database (as `harvester up` runs them on two cores).

A wait that is missed never ends (a run stuck RUNNING with nothing queued) or ends a
lease later (60 s): both fail the bound on lateness below, which leaves room for a
loaded 2-core machine. Lateness is measured with the engine's own records: the run's
end minus the wait's expiry (when its WaitForEvent op was applied, plus the timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
import inngest
import inngest.fast_api
from fastapi import FastAPI

from harvester.engine import TERMINAL, Engine, EngineConfig, RunRecord, RunStatus

from .harness import dev_client, route_sdk_in_process, running

SECOND_URL = "http://second:8288/api/inngest"

WAIT = "t/stress.wait"  # data: {"k": key, "s": timeout in whole seconds}
ANSWER = "t/stress.answer"  # data: {"k": key}: ends the wait with that key
BUSY = "t/stress.busy"
BATCHES, WAITS_PER_BATCH, BUSY_PER_BATCH, ANSWERED_PER_BATCH = 10, 20, 5, 2
TIMEOUTS_S = (1, 2)  # the SDK takes whole seconds, at least one
ANSWERED_TIMEOUT_S = 30  # these end by their event, long before
# A run goes on within ~0.1 s of its wait's expiry on an idle machine, within a few
# seconds when a 2-core machine runs 10 processes (woken calls queue for a worker); a
# missed timer never fires, or fires a lease (60 s) later.
MAX_LATE_S = 15.0
TOTAL_S = 50.0  # per backend: sending, then until every run has ended


async def _same(i: int) -> int:
    return i


def stress_functions(client: inngest.Inngest) -> list[Any]:
    @client.create_function(fn_id="waiter", trigger=inngest.TriggerEvent(event=WAIT), retries=0)
    async def waiter(ctx: inngest.Context) -> dict[str, Any]:
        seconds = ctx.event.data["s"]
        assert isinstance(seconds, int)
        got = await ctx.step.wait_for_event(
            "answer",
            event=ANSWER,
            if_exp="async.data.k == event.data.k",
            timeout=timedelta(seconds=seconds),
        )
        return {"timed_out": got is None}

    @client.create_function(fn_id="busy", trigger=inngest.TriggerEvent(event=BUSY), retries=0)
    async def busy(ctx: inngest.Context) -> int:
        total = 0
        for i in range(3):
            total += await ctx.step.run(f"s{i}", _same, i)
        return total

    return [waiter, busy]


@contextlib.contextmanager
def second_engine(db_url: str) -> Iterator[None]:
    """A second engine on ``db_url`` with its own copy of the app, as an extra process
    of `harvester up` runs (``limited_calls=False``), on its own thread and event loop:
    its dispatcher races the first one's for the same due timers, as two processes'
    do (their database calls interleave), without a process's start-up time."""
    started = threading.Event()
    failed: list[BaseException] = []
    holder: dict[str, Any] = {}

    async def serve() -> None:
        client = dev_client("test")  # the harness's app id: the same function ids
        engine = Engine(EngineConfig(database_url=db_url, limited_calls=False, fire_crons=False))
        app = FastAPI()
        app.include_router(engine.router)
        inngest.fast_api.serve(app, client, stress_functions(client))
        route_sdk_in_process(client, app)
        stop = asyncio.Event()
        holder["stop"] = (asyncio.get_running_loop(), stop)
        await engine.start()
        try:
            await engine.register_app(SECOND_URL, transport=httpx.ASGITransport(app=app))
            started.set()
            await stop.wait()
        finally:
            await engine.stop()
            engine.close()

    def main() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported by the test
            failed.append(exc)
        finally:
            started.set()

    thread = threading.Thread(target=main, name="second-engine", daemon=True)
    thread.start()
    try:
        assert started.wait(60) and not failed, f"the second engine did not start: {failed}"
        yield
    finally:
        if "stop" in holder:
            loop, stop = holder["stop"]
            loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        assert not thread.is_alive(), "the second engine did not stop"
        assert not failed, failed


async def _until(check: Callable[[], bool], timeout: float, what: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f}s: {what()}")
        await asyncio.sleep(0.1)


def _all_ended(engine: Engine, run_ids: list[str]) -> bool:
    return len(_finished(engine, run_ids)) == len(run_ids)


def _all_waiting(engine: Engine, run_ids: list[str]) -> bool:
    return all(_waiting(engine, r) for r in run_ids)


def _describe(engine: Engine, run_ids: list[str], what: str) -> str:
    """Where runs are: their status, steps and queue items (for a failure message)."""
    queue = engine.list_queue()
    out = []
    for run_id in run_ids[:5]:
        run = engine.get_run(run_id)
        items = [(q.kind, q.due_at, q.leased) for q in queue if q.run_id == run_id]
        steps = [s.op for s in run.steps] if run else None
        error = (run.error or {}).get("message", "")[:300] if run else ""
        out.append(f"{run_id} {run.status if run else None} steps={steps} queue={items} {error}")
    return f"{what}: " + "; ".join(out)


def _ended(engine: Engine) -> int:
    """How many runs have ended (one query: the check polls it)."""
    stats = engine.function_stats()
    return sum(n for by in stats.values() for st, n in by.items() if st in TERMINAL)


def _finished(engine: Engine, run_ids: list[str]) -> list[RunRecord]:
    runs = [engine.get_run(r) for r in run_ids]
    return [r for r in runs if r is not None and r.status in TERMINAL]


def _waiting(engine: Engine, run_id: str) -> bool:
    run = engine.get_run(run_id)
    return run is not None and any(s.op == "WaitForEvent" for s in run.steps)


def _lateness(run: RunRecord) -> float:
    """The run's end after its wait expired (the run ends in the call after it)."""
    waits = [s for s in run.steps if s.op == "WaitForEvent"]
    assert len(waits) == 1, [(s.op, s.step_id[:8], s.started_at, s.ended_at) for s in run.steps]
    [wait] = waits
    assert run.event is not None and run.ended_at is not None
    return run.ended_at - (wait.ended_at + run.event["data"]["s"])


def _run_of(engine: Engine, event_id: str) -> str:
    [run] = engine.event_runs(event_id)
    return run.run_id


async def _drive(engine: Engine, began: float) -> tuple[list[str], list[str], list[str]]:
    """Send the batches; returns the runs whose wait must time out, those answered,
    and the busy ones."""
    timed: list[str] = []
    answered: list[str] = []
    busy: list[str] = []
    for b in range(BATCHES):
        events = [
            {"name": WAIT, "data": {"k": f"t{b}.{i}", "s": TIMEOUTS_S[i % len(TIMEOUTS_S)]}}
            for i in range(WAITS_PER_BATCH)
        ]
        events += [
            {"name": WAIT, "data": {"k": f"a{b}.{i}", "s": ANSWERED_TIMEOUT_S}}
            for i in range(ANSWERED_PER_BATCH)
        ]
        events += [{"name": BUSY, "data": {}} for _ in range(BUSY_PER_BATCH)]
        runs = [_run_of(engine, e) for e in await engine.send(events)]
        timed += runs[:WAITS_PER_BATCH]
        answers = runs[WAITS_PER_BATCH : WAITS_PER_BATCH + ANSWERED_PER_BATCH]
        answered += answers
        batch = runs[WAITS_PER_BATCH + ANSWERED_PER_BATCH :]
        busy += batch
        # The answers go out once their waits are registered (a wait sees only events
        # after it), while this batch's busy runs run and earlier batches' timers fire.
        await _until(
            partial(_all_waiting, engine, answers),
            20,
            partial(_describe, engine, answers, f"batch {b}'s answered waits"),
        )
        await engine.send(
            [{"name": ANSWER, "data": {"k": f"a{b}.{i}"}} for i in range(ANSWERED_PER_BATCH)]
        )
        # The next batch once this one's busy runs and answered waits have ended: timers
        # fire among runs that start and end, on an engine that keeps up (the lateness
        # measured is the timers', not a backlog's of all the calls sent at once).
        await _until(
            partial(_all_ended, engine, batch + answers),
            20,
            partial(_describe, engine, batch + answers, f"batch {b}'s runs"),
        )
    everything = timed + answered + busy
    with contextlib.suppress(AssertionError):  # reported by the test, run by run
        await _until(
            lambda: _ended(engine) >= len(everything),
            max(TOTAL_S - (time.monotonic() - began), 1.0),
            lambda: "every run ended",
        )
    return timed, answered, busy


async def test_every_wait_for_event_timeout_fires_on_time(database_url: str) -> None:
    began = time.monotonic()
    poll = EngineConfig().poll_interval  # as deployed, not the harness's fast poll
    async with running(stress_functions, database_url, poll_interval=poll, fire_crons=False) as e:
        with second_engine(database_url):
            timed, answered, busy = await _drive(e, began)
        done = {r.run_id: r for r in _finished(e, timed + answered + busy)}
    elapsed = time.monotonic() - began

    stuck = [r for r in timed if r not in done]
    assert not stuck, f"{len(stuck)} of {len(timed)} timed-out waits never ended: {stuck[:5]}"
    for run_id in timed:
        run = done[run_id]
        assert run.status is RunStatus.COMPLETED, (run_id, run.status, run.error)
        assert run.output == {"timed_out": True}, (run_id, run.output)
    for run_id in answered:
        assert run_id in done and done[run_id].output == {"timed_out": False}, run_id
    assert all(run_id in done and done[run_id].status is RunStatus.COMPLETED for run_id in busy)

    late = sorted(_lateness(done[r]) for r in timed)
    q = statistics.quantiles(late, n=100, method="inclusive")
    summary = (
        f"{database_url.split(':')[0]}: {len(late)} timeouts, lateness p50 {q[49]:.3f}s "
        f"p95 {q[94]:.3f}s p99 {q[98]:.3f}s max {late[-1]:.3f}s; {elapsed:.1f}s in all"
    )
    print(summary)
    assert late[0] >= -0.01, f"a wait ended before its timeout: {summary}"
    assert late[-1] <= MAX_LATE_S, f"a wait's run went on late: {summary}"
    assert elapsed < 60.0, summary
