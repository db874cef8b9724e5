"""Flow control and scheduling measured against an injected clock, not sleeps."""

from __future__ import annotations

from typing import Any

import inngest

from harvester.engine import Engine, EngineConfig, QueueKind, RunStatus

from .harness import engine_app, running


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _fn(fid: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": fid,
        "name": fid,
        "triggers": [{"event": "x/y"}],
        "steps": {
            "step": {
                "id": "step",
                "name": "step",
                "runtime": {"type": "http", "url": f"http://a/api?fnId={fid}"},
            }
        },
        **extra,
    }


def _call_due_times(engine: Engine) -> list[float]:
    return sorted(item.due_at for item in engine.list_queue(QueueKind.CALL))


def test_throttle_starts_exactly_limit_runs_per_period(sqlite_url: str) -> None:
    clock = Clock(1_000_000.0)
    engine = Engine(EngineConfig(database_url=sqlite_url, clock=clock))
    engine.register("http://a/api", "a", [_fn("thr", throttle={"limit": 100, "period": "1m"})])
    engine.ingest([{"name": "x/y", "data": {}, "id": f"e{i}", "ts": 0} for i in range(1000)])
    due = _call_due_times(engine)
    assert len(due) == 1000  # delayed, never dropped
    per_minute = [sum(1 for d in due if m * 60 <= d - clock.t < (m + 1) * 60) for m in range(10)]
    assert per_minute == [100] * 10
    engine.close()


def test_throttle_key_keeps_hot_keys_from_starving_others(sqlite_url: str) -> None:
    clock = Clock(1_000_000.0)
    engine = Engine(EngineConfig(database_url=sqlite_url, clock=clock))
    engine.register(
        "http://a/api",
        "a",
        [_fn("thk", throttle={"limit": 10, "period": "1m", "key": "event.data.k"})],
    )
    engine.ingest(
        [{"name": "x/y", "data": {"k": "hot"}, "id": f"h{i}", "ts": 0} for i in range(100)]
        + [{"name": "x/y", "data": {"k": "cold"}, "id": "c1", "ts": 0}]
    )

    def key_of(item: Any) -> str:
        run = engine.get_run(item.run_id)
        assert run is not None and run.event is not None
        return str(run.event["data"]["k"])

    cold = [item.due_at for item in engine.list_queue(QueueKind.CALL) if key_of(item) == "cold"]
    assert cold == [clock.t]  # the cold key starts at once despite 100 hot events
    engine.close()


def test_cron_fires_once_after_downtime_without_backfill(sqlite_url: str) -> None:
    clock = Clock(1_800_000_000.0)  # a minute boundary
    engine = Engine(EngineConfig(database_url=sqlite_url, clock=clock))
    engine.register("http://a/api", "a", [_fn("cr", triggers=[{"cron": "* * * * *"}])])
    clock.t += 600  # ten ticks missed while "down"
    engine._dispatcher._fire_crons(clock.t)
    engine._dispatcher._fire_crons(clock.t)
    page = engine.list_runs(fn="cr").data
    assert len(page) == 1 and page[0].event_name == "inngest/scheduled.timer"
    clock.t += 60
    engine._dispatcher._fire_crons(clock.t)
    assert len(engine.list_runs(fn="cr").data) == 2
    engine.close()


def test_cron_with_time_zone_is_accepted(sqlite_url: str) -> None:
    engine = Engine(EngineConfig(database_url=sqlite_url))
    engine.register(
        "http://a/api", "a", [_fn("tz", triggers=[{"cron": "TZ=Europe/Paris 0 9 * * *"}])]
    )
    assert [f.id for f in engine.list_functions()] == ["tz"]
    engine.close()


async def test_batches_collect_events_up_to_max_size_or_timeout(sqlite_url: str) -> None:
    sizes: list[int] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="batched",
            trigger=inngest.TriggerEvent(event="t/b"),
            batch_events=inngest.Batch(max_size=3, timeout=1000),
        )
        async def batched(ctx: inngest.Context) -> int:
            sizes.append(len(ctx.events))
            return len(ctx.events)

        return [batched]

    async with running(fns, sqlite_url) as engine:
        ids = await engine.send([{"name": "t/b", "data": {"i": i}} for i in range(7)])
        await engine.wait_for_idle(timeout=20)
        runs_of = [engine.event_runs(i) for i in ids]
    assert sorted(sizes) == [1, 3, 3]
    # Every event leads to the one run that took it (the dashboard's event page).
    assert [len(r) for r in runs_of] == [1] * 7
    assert len({r[0].run_id for r in runs_of}) == 3
    assert runs_of[0][0].run_id == runs_of[2][0].run_id != runs_of[3][0].run_id


async def test_gql_and_run_api_answer_like_the_dev_server(sqlite_url: str) -> None:
    import httpx

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(fn_id="g", trigger=inngest.TriggerEvent(event="t/g"))
        async def g(ctx: inngest.Context) -> dict[str, int]:
            await ctx.step.run("s", lambda: 1)
            return {"ok": 1}

        return [g]

    async with running(fns, sqlite_url) as engine:
        (eid,) = await engine.send([{"name": "t/g", "data": {"q": 1}}])
        await engine.wait_for_idle(timeout=10)
        app = engine_app(engine)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://e"
        ) as c:
            q = {
                "query": "query($id: ID!) { event(query: {eventId: $id}) { functionRuns { id } } }",
                "variables": {"id": eid},
            }
            run_id = (await c.post("/v0/gql", json=q)).json()["data"]["event"]["functionRuns"][0][
                "id"
            ]
            q2 = {
                "query": f'{{ run(runID: "{run_id}") {{ status output }} '
                f'runTrigger(runID: "{run_id}") {{ payloads }} }}'
            }
            data = (await c.post("/v0/gql", json=q2)).json()["data"]
            assert data["run"]["status"] == RunStatus.COMPLETED
            assert data["run"]["output"] == '{"ok": 1}'
            assert '"q": 1' in data["runTrigger"]["payloads"][0]
            listed = (await c.get("/api/v1/runs", params={"limit": 1})).json()
            assert listed["data"][0]["run_id"] == run_id
            detail = (await c.get(f"/api/v1/runs/{run_id}")).json()
            assert [s["op"] for s in detail["steps"]] == ["StepRun"]
            replay = (await c.post(f"/api/v1/runs/{run_id}/replay")).json()["run_id"]
            assert (await engine.wait_for_run(replay, 10)).status == RunStatus.COMPLETED


async def test_run_list_pages_with_a_cursor(sqlite_url: str) -> None:
    engine = Engine(EngineConfig(database_url=sqlite_url))
    engine.register("http://a/api", "a", [_fn("p")])
    engine.ingest([{"name": "x/y", "data": {}, "id": f"p{i}", "ts": 0} for i in range(25)])
    seen, cursor = [], None
    while True:
        page = engine.list_runs(fn="p", limit=10, cursor=cursor)
        seen += [r.run_id for r in page.data]
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 25
    assert engine.cancel(seen[0]) and not engine.cancel(seen[0])
    engine.close()


def _statuses(engine: Engine, fn: str) -> list[str]:
    return sorted(r.status for r in engine.list_runs(fn=fn, limit=500).data)


def test_rate_limit_skips_excess_and_records_it(sqlite_url: str) -> None:
    clock = Clock(1_000_000.0)
    engine = Engine(EngineConfig(database_url=sqlite_url, clock=clock))
    engine.register(
        "http://a/api",
        "a",
        [_fn("rl", rateLimit={"limit": 2, "period": "1m", "key": "event.data.k"})],
    )
    engine.ingest(
        [{"name": "x/y", "data": {"k": "a"}, "id": f"a{i}", "ts": 0} for i in range(5)]
        + [{"name": "x/y", "data": {"k": "b"}, "id": "b", "ts": 0}]
    )
    assert _statuses(engine, "rl") == ["QUEUED"] * 3 + ["SKIPPED"] * 3
    clock.t += 60
    engine.ingest([{"name": "x/y", "data": {"k": "a"}, "id": "a-later", "ts": 0}])
    assert _statuses(engine, "rl").count("QUEUED") == 4
    engine.close()


def test_singleton_skip_and_cancel(sqlite_url: str) -> None:
    engine = Engine(EngineConfig(database_url=sqlite_url))
    engine.register(
        "http://a/api",
        "a",
        [
            _fn("sk", singleton={"mode": "skip", "key": "event.data.k"}),
            _fn("sc", singleton={"mode": "cancel"}, triggers=[{"event": "x/z"}]),
        ],
    )
    engine.ingest([{"name": "x/y", "data": {"k": 1}, "id": f"s{i}", "ts": 0} for i in range(3)])
    assert _statuses(engine, "sk") == ["QUEUED", "SKIPPED", "SKIPPED"]
    engine.ingest([{"name": "x/z", "data": {}, "id": f"c{i}", "ts": 0} for i in range(3)])
    assert _statuses(engine, "sc") == ["CANCELLED", "CANCELLED", "QUEUED"]
    engine.close()


def test_priority_moves_a_run_ahead_in_the_queue(sqlite_url: str) -> None:
    clock = Clock(1_000_000.0)
    engine = Engine(EngineConfig(database_url=sqlite_url, clock=clock))
    engine.register("http://a/api", "a", [_fn("pr", priority={"run": "event.data.p"})])
    engine.ingest(
        [
            {"name": "x/y", "data": {"p": 0}, "id": "low", "ts": 0},
            {"name": "x/y", "data": {"p": 9999}, "id": "high", "ts": 0},
        ]
    )
    first = engine.list_queue(QueueKind.CALL)[0]
    run = engine.get_run(first.run_id)
    assert run is not None and run.events[0]["id"] == "high"
    assert first.due_at == clock.t - 600  # clamped to the documented ±600 s
    engine.close()


async def test_debounce_runs_once_with_the_last_event(sqlite_url: str) -> None:
    seen: list[int] = []

    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="deb",
            trigger=inngest.TriggerEvent(event="t/d"),
            debounce=inngest.Debounce(period=1000, key="event.data.k"),
        )
        async def deb(ctx: inngest.Context) -> None:
            seen.append(int(ctx.event.data["i"]))

        return [deb]

    async with running(fns, sqlite_url) as engine:
        for i in range(5):
            await engine.send([{"name": "t/d", "data": {"k": "x", "i": i}}])
        await engine.send([{"name": "t/d", "data": {"k": "y", "i": 99}}])
        await engine.wait_for_idle(timeout=20)
    assert sorted(seen) == [4, 99]


def test_history_is_pruned_in_batches(sqlite_url: str) -> None:
    clock = Clock(1.0)
    engine = Engine(EngineConfig(database_url=sqlite_url, clock=clock))
    engine.register("http://a/api", "a", [_fn("old")])
    engine.ingest([{"name": "x/y", "data": {}, "id": f"o{i}", "ts": 0} for i in range(30)])
    assert all(engine.cancel(r.run_id) for r in engine.list_runs(fn="old", limit=100).data)
    assert engine.prune_history(before=2.0, batch=7) == 30  # ended at 1.0
    assert engine.list_runs(fn="old").data == []
    engine.close()
