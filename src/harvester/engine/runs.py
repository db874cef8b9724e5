"""Starting, finishing and cancelling runs; routing events to triggers, waits and
cancellations. Every method works inside the caller's unit of work."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from harvester.engine import flow
from harvester.engine.config import TERMINAL, RunStatus
from harvester.engine.durations import parse_duration
from harvester.engine.flow_state import BatchBuffers, Debounces, Singletons
from harvester.engine.records import DueItem, LiveRun, QueueKind, Slots
from harvester.engine.sysdb import SystemDatabase, new_id
from harvester.engine.triggers import FunctionSpec, evaluate
from harvester.engine.work import UnitOfWork

FAILED_EVENT = "inngest/function.failed"
INVOKED_EVENT = "inngest/function.invoked"


class RunBook:
    """The run lifecycle over the system database; ``functions`` is a read-only view
    of the synced functions (the registry keeps it current)."""

    def __init__(self, db: SystemDatabase, functions: Mapping[str, FunctionSpec]) -> None:
        self.db = db
        self.functions = functions
        self.singletons = Singletons(db)
        self.batches = BatchBuffers(db)
        self.debounces = Debounces(db)

    def start_run(
        self,
        uow: UnitOfWork,
        fn: FunctionSpec,
        events: list[dict[str, Any]],
        now: float,
        event_id: str | None,
        parent: dict[str, Any] | None = None,
    ) -> str | None:
        admit = flow.admit(self.db, uow.conn, fn, events[0], now)
        if admit.duplicate:
            return None
        if admit.replaces:
            self.cancel(uow, admit.replaces, now, "replaced by a newer singleton run")
        run_id = new_id()
        run = LiveRun(
            run_id=run_id,
            fn_id=fn.id,
            event_id=event_id,
            events=events,
            status=RunStatus.QUEUED,
            attempt=0,
            steps={},
            stack=[],
            pending=[],
            parallel=False,
            parent=parent,
            output=None,
            error=None,
            created_at=now,
            started_at=None,
            ended_at=None,
        )
        self.db.insert_run(uow.conn, run)
        if admit.skip:
            skipped = {"name": "Skipped", "message": admit.skip}
            self.db.end_run(uow.conn, run_id, RunStatus.SKIPPED, now, skipped)
            return None
        if admit.singleton:
            self.singletons.hold(uow.conn, admit.singleton, run_id)
        self._queue_first_call(uow, run, admit.due, admit.slots, now)
        for kind, timeout in (
            (QueueKind.FINISH_TIMEOUT, "finish"),
            (QueueKind.START_TIMEOUT, "start"),
        ):
            if after := (fn.config.get("timeouts") or {}).get(timeout):
                self.db.enqueue(uow.conn, run_id, fn.id, kind, now + parse_duration(after))
        return run_id

    def _queue_first_call(
        self, uow: UnitOfWork, run: LiveRun, due: float, slots: Slots, now: float
    ) -> None:
        """Queue a new run's first call, already leased when due now and the unit of
        work's capacity has a worker and the slots for it."""
        lease = uow.capacity.take(slots) if uow.capacity is not None and due <= now else None
        item_id = self.db.enqueue(
            uow.conn, run.run_id, run.fn_id, QueueKind.CALL, due, concurrency=slots, lease=lease
        )
        if lease is not None:
            item = DueItem(
                item_id, run.run_id, run.fn_id, QueueKind.CALL, None, due, lease[1], slots
            )
            uow.claimed.append((item, run))

    def enqueue_call(
        self,
        uow: UnitOfWork,
        run: LiveRun,
        due: float,
        step_id: str | None = None,
        *,
        may_carry: bool = False,
    ) -> None:
        """Queue the run's next call; ``may_carry`` (``run`` is then its whole new
        state) lets the current holder keep its item for it (see ``Carry``)."""
        fn = self.functions.get(run.fn_id)
        slots = flow.concurrency_slots(fn, run.events[0]) if fn else []
        carry = uow.carry
        if (
            may_carry
            and carry is not None
            and carry.next_run is None
            and carry.item.run_id == run.run_id
            and due <= carry.now
        ):
            self.db.retarget_item(uow.conn, carry.item.id, step_id, due, carry.lease_until, slots)
            carry.item = carry.item.retargeted(step_id, due, carry.lease_until, slots)
            carry.next_run = run
            return
        self.db.enqueue(uow.conn, run.run_id, run.fn_id, QueueKind.CALL, due, step_id, slots)

    def dispatch(
        self, uow: UnitOfWork, event: dict[str, Any], internal_id: str, now: float
    ) -> list[str]:
        """Resolve waits, cancel runs, start triggered functions; returns new run ids."""
        self._resolve_waits(uow, event, now)
        self._cancel_matching(uow, event, now)
        started = []
        for fn in list(self.functions.values()):
            triggers = fn.event_triggers(event["name"])
            if not any(evaluate(t.get("expression"), {"event": event}) for t in triggers):
                continue
            if fn.config.get("batchEvents"):
                self._batch(uow, fn, event, now)
                continue
            if fn.config.get("debounce"):
                key, due = flow.debounce_push(self.db, uow.conn, fn, event, now)
                self.db.enqueue(uow.conn, key, fn.id, QueueKind.DEBOUNCE_FIRE, due)
                continue
            run_id = self.start_run(uow, fn, [event], now, internal_id)
            if run_id:
                started.append(run_id)
        return started

    def _batch(self, uow: UnitOfWork, fn: FunctionSpec, event: dict[str, Any], now: float) -> None:
        key, full, flush_at = flow.batch_add(self.db, uow.conn, fn, event, now)
        if full is not None:
            self.start_run(uow, fn, full, now, None)
        else:
            self.db.enqueue(uow.conn, key, fn.id, QueueKind.BATCH_FLUSH, flush_at)

    def fire_debounce(self, uow: UnitOfWork, key: str, fn_id: str, now: float) -> None:
        """Start the run with the last event, unless a newer event pushed the time."""
        fn = self.functions.get(fn_id)
        if fn is None:
            return
        fired = self.debounces.take_due(uow.conn, key, now)
        if fired is not None:
            self.start_run(uow, fn, [fired.event], now, None)

    def flush_batch(self, uow: UnitOfWork, key: str, fn_id: str, now: float) -> None:
        """Start the run with the key's buffered events (its batch timeout passed)."""
        fn = self.functions.get(fn_id)
        if fn is None:
            return
        batch = self.batches.take(uow.conn, key)
        if batch is not None:
            self.start_run(uow, fn, batch.events, now, None)

    def _resolve_waits(self, uow: UnitOfWork, event: dict[str, Any], now: float) -> None:
        # Only a run whose wait matches is locked (a run's events never change, so the
        # match is decided on an unlocked read), in run order: locking every waiting
        # run, in the waits' order, deadlocked with timers and group commits on Postgres.
        for w in sorted(self.db.waits_for(uow.conn, event["name"]), key=lambda w: w.run_id):
            seen = self.db.read_run(uow.conn, w.run_id)
            if seen is None or not evaluate(
                w.expression, {"event": seen.events[0], "async": event}
            ):
                continue
            run = self.db.read_run(uow.conn, w.run_id, lock=True)
            if run is None or run.status in TERMINAL:
                continue
            if not self.db.take_wait(uow.conn, w.run_id, w.step_id):
                continue
            self.db.delete_run_items(uow.conn, run.run_id, [QueueKind.WAIT_TIMEOUT], w.step_id)
            self.resolve_step(uow, run, w.step_id, event, now)

    def resolve_step(
        self, uow: UnitOfWork, run: LiveRun, step_id: str, memo: Any, now: float
    ) -> None:
        """Memoize a step's result from outside (timer, event, child run) and go on."""
        pending = [x for x in run.pending if x != step_id]  # its sleep, wait or invoke
        nxt = run.advanced(
            steps={**run.steps, step_id: memo},
            stack=[*run.stack, step_id],
            pending=pending,
            attempt=0,
            # Nothing left in flight: the run no longer fans out, its next step may run
            # at once (the dev server's maybeResetForceStepPlan on a resume).
            parallel=bool(run.parallel and pending),
        )
        self.db.save_progress(uow.conn, nxt)
        self.enqueue_call(uow, nxt, now, may_carry=True)

    def _cancel_matching(self, uow: UnitOfWork, event: dict[str, Any], now: float) -> None:
        for fn in self.functions.values():
            for c in fn.config.get("cancel") or []:
                if c.get("event") != event["name"]:
                    continue
                for run in self.db.active_runs(uow.conn, fn.id):
                    if evaluate(c.get("if"), {"event": run.events[0], "async": event}):
                        self.cancel(uow, run.run_id, now, f"cancelled by event {event['name']}")

    def cancel(self, uow: UnitOfWork, run_id: str, now: float, why: str) -> bool:
        run = self.db.read_run(uow.conn, run_id, lock=True)
        if run is None or run.status in TERMINAL:
            return False
        for taken in [c for c in uow.claimed if c[1].run_id == run_id]:
            uow.claimed.remove(taken)  # never start it
            assert uow.capacity is not None
            uow.capacity.give_back(taken[0].concurrency)
        cancelled = {"name": "Cancelled", "message": why}
        self.db.end_run(uow.conn, run_id, RunStatus.CANCELLED, now, cancelled)
        self.db.delete_run_items(uow.conn, run_id)
        self.db.delete_waits(uow.conn, run_id)
        return True

    def finish(
        self,
        uow: UnitOfWork,
        run: LiveRun,
        now: float,
        output: Any = None,
        error: dict[str, Any] | None = None,
        failure: dict[str, Any] | None = None,
    ) -> None:
        """End the run; a failure's ``inngest/function.failed`` carries ``failure``
        (else the error in the dev server's shape)."""
        status = RunStatus.FAILED if error else RunStatus.COMPLETED
        self.db.finish_run(uow.conn, run.run_id, status, now, output, error)
        self.db.delete_run_items(uow.conn, run.run_id)
        parent = run.parent
        if parent:
            prun = self.db.read_run(uow.conn, parent["run_id"], lock=True)
            if prun and prun.status not in TERMINAL and parent["step_id"] not in prun.steps:
                memo = {"error": error} if error else {"data": output}
                self.db.delete_run_items(
                    uow.conn, prun.run_id, [QueueKind.INVOKE_TIMEOUT], parent["step_id"]
                )
                self.resolve_step(uow, prun, parent["step_id"], memo, now)
        if error:
            uow.emitted.append(
                {
                    "name": FAILED_EVENT,
                    "data": {
                        "function_id": run.fn_id,
                        "run_id": run.run_id,
                        "event": run.events[0],
                        "error": failure or standard_error(error, None),
                    },
                }
            )


def standard_error(error: dict[str, Any], cause: str | None) -> dict[str, Any]:
    """``inngest/function.failed``'s ``data.error`` as the dev server builds it
    (``StandardError``): ``error`` is what went wrong with the call (``invalid status
    code: 500``, ``NonRetriableError``) or the message, then ``name``, ``message`` and
    ``stack`` only when there is one; the SDK's ``code`` is not carried."""
    out = {
        "error": cause or str(error.get("message") or "Function execution error"),
        "name": str(error.get("name") or "Error"),
        "message": str(error.get("message") or "Function execution error"),
    }
    if isinstance(error.get("stack"), str) and error["stack"]:
        out["stack"] = error["stack"]
    return out


def backoff(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter on the upper half (as Inngest spreads retries)."""
    delay = min(cap, base * 2.0**attempt)
    return delay * (0.5 + random.random() / 2)
