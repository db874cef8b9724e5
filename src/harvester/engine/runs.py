"""Starting, finishing and cancelling runs; routing events to triggers, waits and
cancellations. Every function here works inside the caller's transaction."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from harvester.engine import flow
from harvester.engine.config import TERMINAL, RunStatus
from harvester.engine.durations import parse_duration
from harvester.engine.store import Store, new_id
from harvester.engine.triggers import FunctionSpec, evaluate

FAILED_EVENT = "inngest/function.failed"
INVOKED_EVENT = "inngest/function.invoked"


@dataclass
class Carry:
    """A leased call item whose holder may keep it for the run's next call.

    While an SDK call's outcome (or a timer: a sleep's end, a wait's or an invoke's
    timeout) is applied, the first call it schedules for the same run, due at once,
    re-targets this item instead of inserting a new one: the holder goes on to that
    call with no trip through the queue and no new lease.
    """

    item: dict[str, Any]
    now: float
    lease_until: float
    next_run: dict[str, Any] | None = None


class TxState(threading.local):
    """What one transaction in progress collects, per thread: the engine's loop and the
    web server's worker threads (sync endpoints: cancel, replay) each have their own."""

    def __init__(self) -> None:
        self.pending_events: list[dict[str, Any]] = []  # emitted inside a transaction
        self.carry: Carry | None = None  # set by the engine around one outcome's transaction
        # Set by the engine around an ingest: may this process take a new run's first
        # call at once? (returns the lease to write, and reserves a worker) …
        self.claim: Callable[[list[list[Any]]], tuple[str, float] | None] | None = None
        # … and the (item, run) pairs it took, to start once the transaction commits;
        # a run cancelled in that same transaction moves to ``unclaimed``.
        self.claimed: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.unclaimed: list[tuple[dict[str, Any], dict[str, Any]]] = []


class RunBook:
    """The run lifecycle over a Store; ``functions`` is the live registry."""

    def __init__(self, store: Store, functions: dict[str, FunctionSpec]) -> None:
        self.store = store
        self.functions = functions
        self.tx = TxState()

    def start_run(
        self,
        conn: Connection,
        fn: FunctionSpec,
        events: list[dict[str, Any]],
        now: float,
        event_id: str | None,
        parent: dict[str, Any] | None = None,
    ) -> str | None:
        if flow.idempotency_seen(self.store, conn, fn, events[0], now):
            return None
        skipped = self._skip_reason(conn, fn, events[0], now)
        run_id = new_id()
        run = {
            "run_id": run_id,
            "fn_id": fn.id,
            "event_id": event_id,
            "events": events,
            "status": RunStatus.QUEUED,
            "attempt": 0,
            "steps": {},
            "stack": [],
            "pending": [],
            "parallel": False,
            "parent": parent,
            "created_at": now,
        }
        self.store.insert_run(conn, run)
        if skipped:
            self.store.update_run(
                conn,
                run_id,
                status=RunStatus.SKIPPED,
                ended_at=now,
                error={"name": "Skipped", "message": skipped},
            )
            return None
        if key := flow.singleton_key(fn, events[0]):
            self.store.flow_put(conn, key, run_id)
        due = flow.throttle_start(self.store, conn, fn, events[0], now)
        due -= flow.priority_shift(fn, events[0])
        slots = flow.concurrency_slots(fn, events[0])
        lease = self.tx.claim(slots) if self.tx.claim is not None and due <= now else None
        item_id = self.store.enqueue(
            conn, run_id, fn.id, "call", due, concurrency=slots, lease=lease
        )
        if lease is not None:
            item = {"id": item_id, "run_id": run_id, "fn_id": fn.id, "kind": "call"}
            self.tx.claimed.append(({**item, "step_id": None, "concurrency": slots}, run))
        timeouts = fn.config.get("timeouts") or {}
        if timeouts.get("finish"):
            self.store.enqueue(
                conn, run_id, fn.id, "finish_timeout", now + parse_duration(timeouts["finish"])
            )
        if timeouts.get("start"):
            self.store.enqueue(
                conn, run_id, fn.id, "start_timeout", now + parse_duration(timeouts["start"])
            )
        return run_id

    def _skip_reason(
        self, conn: Connection, fn: FunctionSpec, event: dict[str, Any], now: float
    ) -> str | None:
        """Why a new run must not run (rate limit, singleton skip), or None."""
        if flow.rate_limited(self.store, conn, fn, event, now):
            return "rate limit reached: event skipped"
        key = flow.singleton_key(fn, event)
        active = self.store.flow_get(conn, key, lock=True) if key else None
        if active:
            run = self.store.get_run(conn, active, lock=True)
            if run is not None and run["status"] not in TERMINAL:
                if fn.config["singleton"]["mode"] == "skip":
                    return f"singleton: run {active} is still active"
                self.cancel(conn, active, now, "replaced by a newer singleton run")
        return None

    def enqueue_call(
        self,
        conn: Connection,
        run: dict[str, Any],
        due: float,
        step_id: str | None = None,
        *,
        may_carry: bool = False,
    ) -> None:
        """Queue the run's next call; ``may_carry`` (``run`` is then its whole new
        state) lets the current holder keep its item for it (see ``Carry``)."""
        fn = self.functions.get(run["fn_id"])
        slots = flow.concurrency_slots(fn, run["events"][0]) if fn else []
        carry = self.tx.carry
        if (
            may_carry
            and carry is not None
            and carry.next_run is None
            and carry.item["run_id"] == run["run_id"]
            and due <= carry.now
        ):
            self.store.retarget_item(conn, carry.item["id"], step_id, due, carry.lease_until, slots)
            carry.item = {
                **carry.item,
                "kind": "call",
                "step_id": step_id,
                "due_at": due,
                "lease_until": carry.lease_until,
                "concurrency": slots,
            }
            carry.next_run = run
            return
        self.store.enqueue(conn, run["run_id"], run["fn_id"], "call", due, step_id, slots)

    def dispatch(
        self, conn: Connection, event: dict[str, Any], internal_id: str, now: float
    ) -> list[str]:
        """Resolve waits, cancel runs, start triggered functions; returns new run ids."""
        self._resolve_waits(conn, event, now)
        self._cancel_matching(conn, event, now)
        started = []
        for fn in list(self.functions.values()):
            triggers = fn.event_triggers(event["name"])
            if not any(evaluate(t.get("expression"), {"event": event}) for t in triggers):
                continue
            if fn.config.get("batchEvents"):
                self._batch(conn, fn, event, now)
                continue
            if fn.config.get("debounce"):
                key, due = flow.debounce_push(self.store, conn, fn, event, now)
                self.store.enqueue(conn, key, fn.id, "debounce_fire", due)
                continue
            run_id = self.start_run(conn, fn, [event], now, internal_id)
            if run_id:
                started.append(run_id)
        return started

    def _batch(self, conn: Connection, fn: FunctionSpec, event: dict[str, Any], now: float) -> None:
        key, full, flush_at = flow.batch_add(self.store, conn, fn, event, now)
        if full is not None:
            self.start_run(conn, fn, full, now, None)
        else:
            self.store.enqueue(conn, key, fn.id, "batch_flush", flush_at)

    def fire_debounce(self, conn: Connection, key: str, fn_id: str, now: float) -> None:
        """Start the run with the last event, unless a newer event pushed the time."""
        value = self.store.flow_get(conn, key, lock=True)
        fn = self.functions.get(fn_id)
        if value and fn and value["due"] <= now + 1e-6:
            self.store.flow_delete(conn, key)
            self.start_run(conn, fn, [value["event"]], now, None)

    def flush_batch(self, conn: Connection, key: str, fn_id: str, now: float) -> None:
        buf = self.store.flow_get(conn, key, lock=True)
        fn = self.functions.get(fn_id)
        if buf and buf["events"] and fn:
            self.store.flow_delete(conn, key)
            self.start_run(conn, fn, buf["events"], now, None)

    def _resolve_waits(self, conn: Connection, event: dict[str, Any], now: float) -> None:
        for w in self.store.waits_for(conn, event["name"]):
            run = self.store.get_run(conn, w["run_id"], lock=True)
            if run is None or run["status"] in TERMINAL:
                continue
            ctx = {"event": run["events"][0], "async": event}
            if not evaluate(w["expression"], ctx) or not self.store.take_wait(
                conn, w["run_id"], w["step_id"]
            ):
                continue
            self.store.delete_run_items(conn, run["run_id"], ["wait_timeout"], w["step_id"])
            self.resolve_step(conn, run, w["step_id"], event, now)

    def resolve_step(
        self, conn: Connection, run: dict[str, Any], step_id: str, memo: Any, now: float
    ) -> None:
        """Memoize a step's result from outside (timer, event, child run) and go on."""
        steps, stack = {**run["steps"], step_id: memo}, [*run["stack"], step_id]
        self.store.update_run(conn, run["run_id"], steps=steps, stack=stack, attempt=0)
        nxt = {**run, "steps": steps, "stack": stack, "attempt": 0}
        self.enqueue_call(conn, nxt, now, may_carry=True)

    def _cancel_matching(self, conn: Connection, event: dict[str, Any], now: float) -> None:
        for fn in self.functions.values():
            for c in fn.config.get("cancel") or []:
                if c.get("event") != event["name"]:
                    continue
                for run in self.store.active_runs(conn, fn.id):
                    if evaluate(c.get("if"), {"event": run["events"][0], "async": event}):
                        self.cancel(conn, run["run_id"], now, f"cancelled by event {event['name']}")

    def cancel(self, conn: Connection, run_id: str, now: float, why: str) -> bool:
        run = self.store.get_run(conn, run_id, lock=True)
        if run is None or run["status"] in TERMINAL:
            return False
        if any(r["run_id"] == run_id for _, r in self.tx.claimed):  # never start it
            self.tx.unclaimed += [c for c in self.tx.claimed if c[1]["run_id"] == run_id]
            self.tx.claimed = [c for c in self.tx.claimed if c[1]["run_id"] != run_id]
        self.store.update_run(
            conn,
            run_id,
            status=RunStatus.CANCELLED,
            ended_at=now,
            error={"name": "Cancelled", "message": why},
        )
        self.store.delete_run_items(conn, run_id)
        self.store.delete_waits(conn, run_id)
        return True

    def finish(
        self,
        conn: Connection,
        run: dict[str, Any],
        now: float,
        output: Any = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        status = RunStatus.FAILED if error else RunStatus.COMPLETED
        self.store.update_run(
            conn, run["run_id"], status=status, output=output, error=error, ended_at=now
        )
        self.store.delete_run_items(conn, run["run_id"])
        parent = run.get("parent")
        if parent:
            prun = self.store.get_run(conn, parent["run_id"], lock=True)
            if prun and prun["status"] not in TERMINAL and parent["step_id"] not in prun["steps"]:
                memo = {"error": error} if error else {"data": output}
                self.store.delete_run_items(
                    conn, prun["run_id"], ["invoke_timeout"], parent["step_id"]
                )
                self.resolve_step(conn, prun, parent["step_id"], memo, now)
        if error:
            self.tx.pending_events.append(
                {
                    "name": FAILED_EVENT,
                    "data": {
                        "function_id": run["fn_id"],
                        "run_id": run["run_id"],
                        "event": run["events"][0],
                        "error": {**error, "error": error.get("message")},
                    },
                }
            )


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter on the upper half (as Inngest spreads retries)."""
    delay = min(cap, base * (2**attempt))
    return delay * (0.5 + random.random() / 2)
