"""What one leased queue item does: an SDK call and its outcome, a timer (a sleep's
end, a wait's or an invoke's timeout, a run's timeout), a batch flush or a debounce.
Each returns a ``Handled``: what the dispatcher must do once its transaction commits."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from prometheus_client import Histogram

from harvester.engine import aigateway, executor
from harvester.engine.config import TERMINAL, EngineConfig, RunStatus
from harvester.engine.outcomes import OutcomeHandler
from harvester.engine.records import QueueKind
from harvester.engine.registry import Registry
from harvester.engine.runs import RunBook
from harvester.engine.sysdb import SystemDatabase
from harvester.engine.work import Carry, Taken, UnitOfWork

log = structlog.get_logger("harvester.engine")
CALLS = Histogram(
    "engine_call_seconds",
    "SDK call durations",
    ["fn"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30),
)
INVOKE_TIMEOUT_ERROR = {
    "error": {
        "name": "InngestInvokeTimeoutError",
        "message": "Timed out waiting for invoked function to complete",
    }
}


@dataclass
class Handled:
    """After an item's transaction: the run's next call, still leased to us, to make
    at once (``chain``) or to queue in due order (``hold``); events to ingest; and
    the run's final status when this call finished it."""

    chain: Taken | None = None
    hold: Taken | None = None
    emitted: list[dict[str, Any]] = field(default_factory=list)
    finished: str | None = None


class Worker:
    def __init__(
        self,
        db: SystemDatabase,
        registry: Registry,
        book: RunBook,
        outcomes: OutcomeHandler,
        cfg: EngineConfig,
    ) -> None:
        self.db = db
        self.registry = registry
        self.book = book
        self.outcomes = outcomes
        self.cfg = cfg
        self.calls_made = 0  # SDK calls this process made (a worker process reports it)

    async def handle(self, item: dict[str, Any], leased_run: dict[str, Any] | None) -> Handled:
        """Do what a leased item asks; ``leased_run`` is its run as read with the lease."""
        kind, now = item["kind"], self.cfg.clock()
        if (
            kind == QueueKind.CALL
            and leased_run is not None
            and leased_run["status"] not in TERMINAL
        ):
            return await self.call(item, leased_run)  # the common path: no extra tx
        if kind in (QueueKind.BATCH_FLUSH, QueueKind.DEBOUNCE_FIRE):
            with self.db.tx() as conn:
                uow = UnitOfWork(conn)
                if kind == QueueKind.BATCH_FLUSH:
                    self.book.flush_batch(uow, item["run_id"], item["fn_id"], now)
                else:
                    self.book.fire_debounce(uow, item["run_id"], item["fn_id"], now)
                self.db.delete_item(conn, item)
            return Handled(emitted=uow.emitted)
        with self.db.tx() as conn:
            run = self.db.get_run(conn, item["run_id"], lock=True)
            if run is None or run["status"] in TERMINAL:
                self.db.delete_item(conn, item)
                return Handled()
            if kind != QueueKind.CALL:
                # A timer's item becomes the run's next call (see work.Carry); this
                # worker took no concurrency slot for a timer, so the call waits its
                # turn in due order rather than running here.
                uow = UnitOfWork(conn, carry=Carry(item, now, now + self.cfg.lease_seconds))
                self._timer(uow, QueueKind(kind), run, item, now)
                carry = uow.carry
                assert carry is not None
                if carry.next_run is None:
                    self.db.delete_item(conn, item)
                    return Handled(emitted=uow.emitted)
                return Handled(hold=(carry.item, carry.next_run), emitted=uow.emitted)
        return await self.call(item, run)

    def _timer(
        self,
        uow: UnitOfWork,
        kind: QueueKind,
        run: dict[str, Any],
        item: dict[str, Any],
        now: float,
    ) -> None:
        sid = item["step_id"]
        timed_out = kind == QueueKind.WAIT_TIMEOUT and self.db.take_wait(
            uow.conn, run["run_id"], sid
        )
        if kind == QueueKind.WAKE or timed_out:
            self.book.resolve_step(uow, run, sid, None, now)
        elif kind == QueueKind.INVOKE_TIMEOUT and sid not in run["steps"]:
            self.book.resolve_step(uow, run, sid, INVOKE_TIMEOUT_ERROR, now)
        elif kind == QueueKind.FINISH_TIMEOUT:
            self.book.cancel(uow, run["run_id"], now, "finish timeout reached")
        elif kind == QueueKind.START_TIMEOUT and run["status"] == RunStatus.QUEUED:
            self.book.cancel(uow, run["run_id"], now, "start timeout reached")

    async def call(self, item: dict[str, Any], run: dict[str, Any]) -> Handled:
        """Make one SDK call and apply its outcome; the run's next call comes back as
        ``chain`` when it is due now and this worker keeps it (see ``work.Carry``)."""
        self.calls_made += 1
        fn = self.registry.get(run["fn_id"])
        if fn is None:
            with self.db.tx() as conn:
                uow = UnitOfWork(conn)
                error = {"name": "FunctionNotFound", "message": f"{run['fn_id']} is not synced"}
                self.book.finish(uow, run, self.cfg.clock(), error=error)
                self.db.delete_item(conn, item)
            return Handled(emitted=uow.emitted)
        started = time.perf_counter()
        t0 = self.cfg.clock()
        structlog.contextvars.bind_contextvars(run_id=run["run_id"], fn_id=fn.id)
        out = await executor.call(
            self.registry.target_for(fn),
            executor.call_url(fn.url, item["step_id"]),
            executor.request_body(
                run, run["attempt"], fn.max_attempts, self.cfg.inline_state_bytes
            ),
            signing_key=self.cfg.signing_key,
            dev=self.cfg.dev,
            now=t0,
        )
        CALLS.labels(fn.id).observe(time.perf_counter() - started)
        out = await aigateway.perform(out, self.cfg.request_timeout)  # step.ai.infer
        now = self.cfg.clock()
        with self.db.tx() as conn:
            fresh = self.db.get_run(conn, run["run_id"], lock=True)
            if fresh is None or fresh["status"] in TERMINAL:
                self.db.delete_item(conn, item)
                return Handled()  # cancelled while the call was in flight
            uow = UnitOfWork(conn, carry=Carry(item, now, now + self.cfg.lease_seconds))
            self.outcomes.apply(uow, fresh, fn, out, t0, now)
            carry = uow.carry
            assert carry is not None
            if carry.next_run is None:
                self.db.delete_item(conn, item)
        done = Handled(emitted=uow.emitted)
        if carry.next_run is not None:
            done.chain = (carry.item, carry.next_run)
        if out.status == 200 or (out.status != 206 and out.error):
            try:  # only for the metric: a failing read must not lose the chained call
                final = self.db.load_run(run["run_id"])
            except Exception:
                log.exception("could not read a finished run's status", run_id=run["run_id"])
            else:
                if final and final["status"] in TERMINAL:
                    done.finished = final["status"]
        structlog.contextvars.unbind_contextvars("run_id", "fn_id")
        return done
