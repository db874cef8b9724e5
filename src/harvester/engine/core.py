"""The engine: one object the user holds. It keeps function configs, takes events,
and runs a dispatcher that leases due queue items and calls the SDK apps."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from typing import Any

import httpx
import structlog
from prometheus_client import Counter, Gauge, Histogram

from harvester.engine import executor
from harvester.engine.config import TERMINAL, EngineConfig, RunStatus
from harvester.engine.durations import next_tick
from harvester.engine.ops import OutcomeHandler
from harvester.engine.runs import Carry, RunBook
from harvester.engine.store import Store, new_id
from harvester.engine.triggers import FunctionSpec, validate

log = structlog.get_logger("harvester.engine")

RUNS = Counter("engine_runs_finished_total", "Runs finished", ["fn", "status"])
CALLS = Histogram(
    "engine_call_seconds",
    "SDK call durations",
    ["fn"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30),
)
QUEUE_DEPTH = Gauge("engine_queue_due", "Queue items due now")
IDLE_HORIZON_S = 2.0
FUNCTIONS_MAX_AGE_S = 2.0
PRUNE_EVERY_S = 60.0
CRON_RECHECK_S = 1.0
CHAIN_MAX = 32  # calls one worker makes in a row for one run before it requeues it
Held = tuple[dict[str, Any], dict[str, Any]] | None  # (leased call item, its run)


class Engine:
    def __init__(self, cfg: EngineConfig) -> None:
        self.cfg = cfg
        self.store = Store(cfg.database_url)
        self.functions: dict[str, FunctionSpec] = {}
        self.book = RunBook(self.store, self.functions)
        self.outcomes = OutcomeHandler(self.book, cfg)
        self.owner = new_id()
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._apps: dict[str, executor.AsgiApp] = {}  # in-process apps, called directly
        # Functions an in-process app of ours serves. Every engine process sharing a
        # database sees the URL of the last sync, but calls its own copy of the app.
        self._local: dict[str, executor.AsgiApp] = {}
        self._default_client = httpx.AsyncClient(timeout=cfg.request_timeout)
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop_task: asyncio.Task[Any] | None = None
        self._inflight: dict[str, int] = {}
        self._running = 0
        self._stopping = False
        # Next calls this process holds (leased) until a worker is free, in due order.
        self._ready: list[tuple[dict[str, Any], dict[str, Any] | None]] = []  # (item, run)
        self._backlog = False  # did the dispatcher leave due work for lack of workers?
        self._functions_loaded_at = 0.0
        self._cron_check_at = 0.0
        self._load_functions()
        from harvester.engine.api import build_router

        self.router = build_router(self)

    # -- registry ------------------------------------------------------------------------
    def _load_functions(self) -> None:
        """Read the synced configs from the database: another engine process may have
        taken the sync, and every process must route and call the same functions."""
        fresh: dict[str, FunctionSpec] = {}
        for row in self.store.load_functions():
            with contextlib.suppress(ValueError):
                spec = validate(row["config"])
                fresh[spec.id] = spec
        self.functions.clear()
        self.functions.update(fresh)
        self._functions_loaded_at = time.monotonic()

    def _refresh_functions(self, max_age: float = FUNCTIONS_MAX_AGE_S) -> None:
        if time.monotonic() - self._functions_loaded_at > max_age:
            self._load_functions()

    def register(self, url: str, app_id: str, configs: list[dict[str, Any]]) -> int:
        """Replace an app's functions (all validated first: nothing partial)."""
        specs = [validate(c) for c in configs]
        now = self.cfg.clock()
        with self.store.tx() as conn:
            self.store.replace_app(conn, url, app_id, configs, now)
            for spec in specs:
                for expr in spec.crons:
                    key = f"cron:{spec.id}:{expr}"
                    if self.store.flow_get(conn, key) is None:
                        self.store.flow_put(
                            conn, key, {"fn": spec.id, "expr": expr, "next": next_tick(expr, now)}
                        )
        for fid in [f for f, s in self.functions.items() if s.url.startswith(url)]:
            del self.functions[fid]
        self.functions.update({s.id: s for s in specs})
        if url in self._apps:
            self._local.update({s.id: self._apps[url] for s in specs})
        log.info("app synced", url=url, functions=len(specs))
        self._cron_check_at = 0.0
        self._wake.set()
        return len(specs)

    async def register_app(
        self, url: str, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        """Ask the app at ``url`` to sync (PUT); in-process apps go through ``transport``."""
        if transport is not None:
            self._clients[url] = httpx.AsyncClient(
                transport=transport, timeout=self.cfg.request_timeout
            )
            if isinstance(transport, httpx.ASGITransport):
                self._apps[url] = transport.app
        client = self._clients.get(url, self._default_client)
        kind = "dev" if self.cfg.dev else "cloud"
        res = await client.put(url, headers={"x-inngest-server-kind": kind})
        if res.status_code >= 400:
            raise RuntimeError(
                f"app at {url} refused to sync: HTTP {res.status_code} {res.text[:300]}"
            )

    def _target_for(self, fn: FunctionSpec) -> httpx.AsyncClient | executor.AsgiApp:
        local = self._local.get(fn.id)
        if local is not None:
            return local
        for url, app in self._apps.items():
            if fn.url.startswith(url):
                return app
        for url, client in self._clients.items():
            if fn.url.startswith(url):
                return client
        return self._default_client

    # -- events ----------------------------------------------------------------------------
    async def send(self, events: list[dict[str, Any]]) -> list[str]:
        """Store and route events (the same path as ``POST /e/{key}``)."""
        return self.ingest([normalize_event(e, self.cfg.clock()) for e in events])

    def ingest(self, events: list[dict[str, Any]]) -> list[str]:
        """Store events and start what they trigger. A new run's first call that is due
        now and fits a free worker is leased in the same transaction and started at
        once, without waiting for the dispatcher to find it."""
        self._refresh_functions()
        ids: list[str] = []
        now = self.cfg.clock()
        queue = list(events)
        self.book.tx.claim = self._reserve if self._can_claim() else None
        try:
            with self.store.tx() as conn:
                while queue:
                    ev = queue.pop(0)
                    internal, fresh = self.store.insert_event(conn, ev, now)
                    ids.append(internal)
                    if fresh:
                        self.book.dispatch(
                            conn, {k: ev[k] for k in ("name", "data", "id", "ts")}, internal, now
                        )
                    queue.extend(normalize_event(e, now) for e in self.book.tx.pending_events)
                    self.book.tx.pending_events.clear()
        except BaseException:
            for item, _ in self.book.tx.claimed + self.book.tx.unclaimed:  # rolled back
                self._unreserve(item["concurrency"])
            raise
        finally:
            claimed, unclaimed = self.book.tx.claimed, self.book.tx.unclaimed
            self.book.tx.claimed, self.book.tx.unclaimed, self.book.tx.claim = [], [], None
        for item, _ in unclaimed:  # cancelled before it started: give the worker back
            self._unreserve(item["concurrency"])
        for item, run in claimed:
            self._launch(item, item["concurrency"], run)
        self._wake.set()
        return ids[: len(events)]

    def _can_claim(self) -> bool:
        if self._loop_task is None or self._stopping:
            return False
        try:
            return asyncio.get_running_loop() is self._loop_task.get_loop()
        except RuntimeError:  # called from a thread without the engine's loop
            return False

    def _reserve(self, slots: list[list[Any]]) -> tuple[str, float] | None:
        """Take a worker (and the run's concurrency slots) if both are free now."""
        if self._running >= self.cfg.workers or not self._fits(slots):
            return None
        for k, _ in slots:
            self._inflight[k] = self._inflight.get(k, 0) + 1
        self._running += 1
        return self.owner, self.cfg.clock() + self.cfg.lease_seconds

    def _unreserve(self, slots: list[list[Any]]) -> None:
        for k, _ in slots:
            self._inflight[k] -= 1
        self._running -= 1

    def _launch(
        self, item: dict[str, Any], slots: list[list[Any]], run: dict[str, Any] | None
    ) -> None:
        # A fresh context: ingest may run inside an SDK call (step.send_event served
        # in-process), whose context variables (the SDK's step context, the log's
        # run_id) must not leak into another run's call.
        task = asyncio.create_task(self._process(item, slots, run), context=contextvars.Context())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        if self._loop_task is None:
            self._stopping = False
            self._loop_task = asyncio.create_task(self._dispatch_loop(), name="engine-dispatch")

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking work; let in-flight calls finish, then release what is left."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)
        for t in self._tasks:
            t.cancel()
        self._ready.clear()
        self.store.release_leases(self.owner)
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        self._apps.clear()
        self._local.clear()

    async def _dispatch_loop(self) -> None:
        last_prune = 0.0
        while not self._stopping:
            now = self.cfg.clock()
            try:
                self._refresh_functions()
                if self.cfg.fire_crons and now >= self._cron_check_at:
                    self._fire_crons(now)
                started = self._claim_and_start(now)
                if now - last_prune > PRUNE_EVERY_S:
                    self.store.prune(now - self.cfg.history_days * 86400)
                    last_prune = now
            except Exception:
                with contextlib.suppress(Exception):  # a broken log must not stop dispatch
                    log.exception("dispatcher error; retrying")
                started = 0
            if started:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.cfg.poll_interval)

    def _fits(self, slots: list[list[Any]]) -> bool:
        return all(self._inflight.get(k, 0) < limit for k, limit in slots)

    def _claim_and_start(self, now: float) -> int:
        """Start due work in due order: queue items other processes could take too, and
        our own held next calls (``_ready``), merged, while workers are free."""
        if self._running >= self.cfg.workers:
            self._backlog = True
            return 0
        shared = self.store.candidates(now)  # may fail: nothing is taken out before it
        ready, self._ready = self._ready, []
        work = [(it, None, False) for it in shared] + [(it, run, True) for it, run in ready]
        work.sort(key=lambda w: (w[0]["due_at"], w[2]))  # due order; shared first on a tie
        started, waiting = 0, False
        for n, (item, run, held) in enumerate(work):
            try:
                slots = item["concurrency"] or []
                full = self._running >= self.cfg.workers
                if full or (item["kind"] == "call" and not self._fits(slots)):
                    waiting = waiting or full
                    if held:
                        self._hold(item, run)
                    continue
                if held and now > item["lease_until"] - self.cfg.lease_seconds / 2:
                    self.store.release_item(item["id"])  # too old: back to the shared queue
                    continue
                if not held:
                    got, run = self.store.lease(
                        item["id"], item["run_id"], self.owner, now, now + self.cfg.lease_seconds
                    )
                    if not got:
                        continue
                self._reserve(slots)
                self._launch(item, slots, run)
                started += 1
            except BaseException:
                for it, r, h in work[n:]:  # keep what we hold; the dispatcher retries
                    if h:
                        self._hold(it, r)
                raise
        self._backlog = waiting
        QUEUE_DEPTH.set(started)
        return started

    def _hold(self, item: dict[str, Any], run: dict[str, Any] | None) -> None:
        self._ready.append((item, run))

    async def _process(
        self, item: dict[str, Any], slots: list[list[Any]], run: dict[str, Any] | None
    ) -> None:
        held: Held = None
        try:
            held = await self._handle(item, run)
            hops = 0
            # Go straight on with the run's next call (its item stays leased to us, its
            # concurrency slots stay taken) while nothing else waits for a worker, and
            # at most CHAIN_MAX times; else it waits its turn in due order (_ready).
            while held is not None and not self._stopping:
                if hops >= CHAIN_MAX or self._backlog or self._ready:
                    self._hold(*held)
                    held = None
                    break
                hops += 1
                (item, nxt), held = held, None  # a failing call keeps its lease until expiry
                held = await self._call(item, nxt)
        except Exception:
            with contextlib.suppress(Exception):
                log.exception(
                    "queue item failed; it will be retried after its lease",
                    run_id=item["run_id"],
                    kind=item["kind"],
                )
        finally:
            if held is not None:  # hand the next call back to the queue
                try:
                    self.store.release_item(held[0]["id"])
                except Exception:
                    log.exception("could not release a queue item; its lease will expire")
            self._unreserve(slots)
            self._wake.set()

    def _fire_crons(self, now: float) -> None:
        """Start the runs of due cron ticks; then sleep until the next tick (at most
        CRON_RECHECK_S, since another process may sync new schedules)."""
        upcoming = now + CRON_RECHECK_S
        with self.store.tx() as conn:
            for key, value in self.store.flow_prefix(conn, "cron:"):
                if value["next"] > now or value["fn"] not in self.functions:
                    upcoming = min(upcoming, max(value["next"], now))
                    continue
                # Missed ticks are not back-filled: one run, then the next future tick.
                self.store.flow_put(conn, key, {**value, "next": next_tick(value["expr"], now)})
                ev = normalize_event(
                    {"name": "inngest/scheduled.timer", "data": {"cron": value["expr"]}}, now
                )
                internal, _ = self.store.insert_event(conn, ev, now)
                self.book.start_run(conn, self.functions[value["fn"]], [ev], now, internal)
        self._cron_check_at = upcoming

    # -- queue items ---------------------------------------------------------------------------
    async def _handle(self, item: dict[str, Any], leased_run: dict[str, Any] | None) -> Held:
        kind, now = item["kind"], self.cfg.clock()
        if kind == "call" and leased_run is not None and leased_run["status"] not in TERMINAL:
            return await self._call(item, leased_run)  # the common path: no extra transaction
        if kind in ("batch_flush", "debounce_fire"):
            with self.store.tx() as conn:
                if kind == "batch_flush":
                    self.book.flush_batch(conn, item["run_id"], item["fn_id"], now)
                else:
                    self.book.fire_debounce(conn, item["run_id"], item["fn_id"], now)
                self.store.delete_item(conn, item["id"])
            return None
        with self.store.tx() as conn:
            run = self.store.get_run(conn, item["run_id"], lock=True)
            if run is None or run["status"] in TERMINAL:
                self.store.delete_item(conn, item["id"])
                return None
            if kind != "call":
                # A timer's item becomes the run's next call (see runs.Carry); this
                # worker took no concurrency slot for a timer, so the call waits its
                # turn in due order rather than running here.
                carry = Carry(item, now, now + self.cfg.lease_seconds)
                self.book.tx.carry = carry
                try:
                    self._timer(conn, kind, run, item, now)
                finally:
                    self.book.tx.carry = None
                if carry.next_run is None:
                    self.store.delete_item(conn, item["id"])
        if kind != "call":
            if carry.next_run is not None:
                self._hold(carry.item, carry.next_run)
            return None
        return await self._call(item, run)

    def _timer(
        self, conn: Any, kind: str, run: dict[str, Any], item: dict[str, Any], now: float
    ) -> None:
        sid = item["step_id"]
        timed_out = kind == "wait_timeout" and self.store.take_wait(conn, run["run_id"], sid)
        if kind == "wake" or timed_out:
            self.book.resolve_step(conn, run, sid, None, now)
        elif kind == "invoke_timeout" and sid not in run["steps"]:
            self.book.resolve_step(
                conn,
                run,
                sid,
                {
                    "error": {
                        "name": "InngestInvokeTimeoutError",
                        "message": "Timed out waiting for invoked function to complete",
                    }
                },
                now,
            )
        elif kind == "finish_timeout":
            self.book.cancel(conn, run["run_id"], now, "finish timeout reached")
        elif kind == "start_timeout" and run["status"] == RunStatus.QUEUED:
            self.book.cancel(conn, run["run_id"], now, "start timeout reached")

    async def _call(self, item: dict[str, Any], run: dict[str, Any]) -> Held:
        """Make one SDK call and apply its outcome; returns the run's next call when it
        is due now and this worker keeps it (see ``runs.Carry``)."""
        fn = self.functions.get(run["fn_id"])
        if fn is None:
            self._refresh_functions(max_age=0)
            fn = self.functions.get(run["fn_id"])
        if fn is None:
            with self.store.tx() as conn:
                self.book.finish(
                    conn,
                    run,
                    self.cfg.clock(),
                    error={"name": "FunctionNotFound", "message": f"{run['fn_id']} is not synced"},
                )
                self.store.delete_item(conn, item["id"])
            return None
        started = time.perf_counter()
        t0 = self.cfg.clock()
        structlog.contextvars.bind_contextvars(run_id=run["run_id"], fn_id=fn.id)
        out = await executor.call(
            self._target_for(fn),
            executor.call_url(fn.url, item["step_id"]),
            executor.request_body(run, run["attempt"], fn.max_attempts),
            signing_key=self.cfg.signing_key,
            dev=self.cfg.dev,
            now=t0,
        )
        CALLS.labels(fn.id).observe(time.perf_counter() - started)
        now = self.cfg.clock()
        carry = Carry(item, now, now + self.cfg.lease_seconds)
        with self.store.tx() as conn:
            fresh = self.store.get_run(conn, run["run_id"], lock=True)
            if fresh is None or fresh["status"] in TERMINAL:
                self.store.delete_item(conn, item["id"])
                return None  # cancelled while the call was in flight
            self.book.tx.carry = carry
            try:
                self.outcomes.apply(conn, fresh, fn, out, t0, now)
            finally:
                self.book.tx.carry = None
            if carry.next_run is None:
                self.store.delete_item(conn, item["id"])
            emitted = list(self.book.tx.pending_events)
            self.book.tx.pending_events.clear()
        held = None if carry.next_run is None else (carry.item, carry.next_run)
        try:
            if out.status in (200,) or (out.status not in (206,) and out.error):
                final = self.get_run(run["run_id"])
                if final and final["status"] in TERMINAL:
                    RUNS.labels(fn.id, final["status"]).inc()
            if emitted:
                self.ingest([normalize_event(e, now) for e in emitted])
        except Exception:
            # The outcome is committed: its next call, leased to us, must not wait for
            # the lease to expire because what came after failed.
            if held is not None:
                self._hold(*held)
            raise
        structlog.contextvars.unbind_contextvars("run_id", "fn_id")
        return held

    # -- queries and operator actions --------------------------------------------------------
    def get_run(self, run_id: str) -> dict[str, Any] | None:
        with self.store.engine.connect() as conn:
            return self.store.get_run(conn, run_id)

    async def wait_for_run(self, run_id: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.get_run(run_id)
            if run and run["status"] in TERMINAL:
                return run
            await asyncio.sleep(0.02)
        raise TimeoutError(f"run {run_id} not finished after {timeout}s")

    def is_idle(self) -> bool:
        now = self.cfg.clock()
        if self._running or self.store.busy_count(now + IDLE_HORIZON_S):
            return False
        with self.store.tx() as conn:
            return not (
                self.store.flow_prefix(conn, "batch:") or self.store.flow_prefix(conn, "debounce:")
            )

    async def wait_for_idle(self, timeout: float = 60.0) -> None:
        """Until nothing is queued or running, no batch is open and no timer is near."""
        deadline = time.monotonic() + timeout
        streak = 0
        while time.monotonic() < deadline:
            streak = streak + 1 if self.is_idle() else 0
            if streak >= 3:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"engine still busy after {timeout}s")

    def cancel_run(self, run_id: str, why: str = "cancelled by an operator") -> bool:
        with self.store.tx() as conn:
            return self.book.cancel(conn, run_id, self.cfg.clock(), why)

    def replay_run(self, run_id: str) -> str | None:
        """A new run of the same function with the same event(s)."""
        run = self.get_run(run_id)
        fn = self.functions.get(run["fn_id"]) if run else None
        if run is None or fn is None:
            return None
        with self.store.tx() as conn:
            new = self.book.start_run(conn, fn, run["events"], self.cfg.clock(), run["event_id"])
        self._wake.set()
        return new


def normalize_event(ev: dict[str, Any], now: float) -> dict[str, Any]:
    """Fill id and ts the way Inngest does (id doubles as the idempotency key)."""
    return {
        "name": ev["name"],
        "data": ev.get("data") or {},
        "id": str(ev.get("id") or new_id()),
        "ts": int(ev.get("ts") or now * 1000),
    }
