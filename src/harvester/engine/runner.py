"""What one leased queue item does: an SDK call and its outcome, a timer (a sleep's
end, a wait's or an invoke's timeout, a run's timeout), a batch flush or a debounce.
Each returns a ``Handled``: what the dispatcher must do once its transaction commits."""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass, field
from typing import Any

import structlog
from prometheus_client import Histogram
from sqlalchemy import Connection

from harvester.engine import aigateway, executor
from harvester.engine.clock import monotonic
from harvester.engine.config import TERMINAL, EngineConfig, RunStatus
from harvester.engine.outcomes import OutcomeHandler
from harvester.engine.records import DueItem, LiveRun, QueueKind
from harvester.engine.registry import Registry
from harvester.engine.runs import RunBook
from harvester.engine.sysdb import SystemDatabase
from harvester.engine.triggers import FunctionSpec
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
    at once or to queue in due order (``chain``: the dispatcher decides); events to
    ingest; and the run's final status when this call finished it."""

    chain: Taken | None = None
    emitted: list[dict[str, Any]] = field(default_factory=list)
    finished: RunStatus | None = None


@dataclass
class _Made:
    """An SDK call made, not yet applied (``fn`` None: the function is not synced)."""

    fn: FunctionSpec | None
    out: executor.CallOutcome | None
    t0: float


@dataclass
class Fired:
    """What a group of timers did once its transaction committed: events to ingest,
    and the woken runs' next calls still leased to us (``kept``), with each run's new
    state, for the dispatcher to start without another trip through the queue."""

    emitted: list[dict[str, Any]] = field(default_factory=list)
    kept: list[Taken] = field(default_factory=list)


_Pending = tuple[DueItem, LiveRun, _Made, "asyncio.Future[Handled]"]


class ItemRunner:
    """Runs what a leased queue item asks (``handle``, ``call``) and fires due timers in
    groups (``fire_timers``); the dispatcher decides which items and when."""

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
        self.calls_made = 0  # SDK calls this process made (an engine process reports it)
        self._pending: list[_Pending] = []  # calls made, their outcomes not yet committed

    async def handle(self, item: DueItem, leased_run: LiveRun | None) -> Handled:
        """Do what a leased item asks; ``leased_run`` is its run as read with the lease."""
        kind, now = item.kind, self.cfg.clock()
        if kind == QueueKind.CALL and leased_run is not None and leased_run.status not in TERMINAL:
            return await self.call(item, leased_run)  # the common path: no extra tx
        if kind in (QueueKind.BATCH_FLUSH, QueueKind.DEBOUNCE_FIRE):
            with self.db.tx() as conn:
                uow = UnitOfWork(conn)
                if kind == QueueKind.BATCH_FLUSH:
                    self.book.flush_batch(uow, item.run_id, item.fn_id, now)
                else:
                    self.book.fire_debounce(uow, item.run_id, item.fn_id, now)
                self.db.delete_item(conn, item)
            return Handled(emitted=uow.emitted)
        if kind != QueueKind.CALL:  # the dispatcher fires timers in groups (fire_timers)
            raise ValueError(f"a {kind} item is not handled one by one")
        with self.db.tx() as conn:  # a call whose run was not read with its lease
            run = self.db.read_run(conn, item.run_id, lock=True)
            if run is None or run.status in TERMINAL:
                self.db.delete_item(conn, item)
                return Handled()
        return await self.call(item, run)

    def fire_timers(
        self, items: list[DueItem], owner: str, keep: int = 0, keep_limited: bool = True
    ) -> Fired:
        """Take and fire due timers together: one transaction leases each (if nobody
        holds it) and applies it, so a thousand sleeps ending at once cost a commit per
        group, not two per sleep. The first ``keep`` woken runs' next calls stay leased
        to us and come back in ``kept`` (with the runs as written), for the dispatcher's
        free workers: no second lease, no second read of the run. The others go to the
        shared queue, due now, for whichever process has a free worker (one process
        firing a burst must not keep all its calls); so do calls with concurrency slots
        unless ``keep_limited``. Events the timers emitted (a cancelled run's) come back
        in ``emitted``, to ingest."""
        now = self.cfg.clock()
        until = now + self.cfg.lease_seconds
        in_lock_order = sorted(items, key=lambda it: it.run_id)  # as group commits lock
        out = Fired()
        try:
            with self.db.tx() as conn:
                room = [keep, keep_limited]
                fired = [self._fire(conn, it, owner, now, until, room) for it in in_lock_order]
        except Exception:
            log.warning("firing timers together failed; firing them one by one", exc_info=True)
            fired = []
            for it in in_lock_order:
                try:
                    with self.db.tx() as conn:
                        fired.append(self._fire(conn, it, owner, now, until, [0, False]))
                except Exception:
                    log.exception("a timer failed; it is retried after its lease", run_id=it.run_id)
                    self._lease_alone(it, owner, now, until)
        for events, taken in fired:  # committed
            out.emitted.extend(events)
            if taken is not None:
                out.kept.append(taken)
        return out

    def _lease_alone(self, item: DueItem, owner: str, now: float, until: float) -> None:
        """Hold a timer that failed until its lease expires (a retry, not a hot loop)."""
        try:
            with self.db.tx() as conn:
                self.db.lease_in(conn, item, owner, now, until)
        except Exception:
            log.exception("could not lease a failing timer", run_id=item.run_id)

    def _fire(
        self,
        conn: Connection,
        item: DueItem,
        owner: str,
        now: float,
        until: float,
        room: list[Any],
    ) -> tuple[list[dict[str, Any]], Taken | None]:
        """Lease a due timer (if nobody holds it) and apply it in the caller's
        transaction; returns the events it emitted and, while ``room`` ([calls we may
        keep, whether limited ones too]) allows, the run's next call, kept leased. Its
        item becomes that call (see work.Carry); a call not kept is handed to the
        shared queue due now and waits its turn there."""
        # The run first, then its item: the order every other writer locks them in
        # (an event resolving the wait, a group commit, a cancel). Item first, a timer
        # and an event answering its wait deadlocked on Postgres.
        run = self.db.read_run(conn, item.run_id, lock=True)
        if not self.db.lease_in(conn, item, owner, now, until):
            return [], None  # another process has it, or fired it already
        item = item.leased(until)
        if run is None or run.status in TERMINAL:
            self.db.delete_item(conn, item)
            return [], None
        uow = UnitOfWork(conn, carry=Carry(item, now, until))
        self._timer(uow, run, item, now)
        carry = uow.carry
        assert carry is not None
        if carry.next_run is None:
            self.db.delete_item(conn, item)
            return uow.emitted, None
        if room[0] > 0 and (room[1] or not carry.item.concurrency):
            room[0] -= 1
            return uow.emitted, (carry.item, carry.next_run)
        self.db.unlease_in(conn, item.id)
        return uow.emitted, None

    def _timer(self, uow: UnitOfWork, run: LiveRun, item: DueItem, now: float) -> None:
        kind, sid = item.kind, item.step_id
        if kind == QueueKind.FINISH_TIMEOUT:
            self.book.cancel(uow, run.run_id, now, "finish timeout reached")
        elif kind == QueueKind.START_TIMEOUT:
            if run.status == RunStatus.QUEUED:
                self.book.cancel(uow, run.run_id, now, "start timeout reached")
        elif sid is None:  # a step's timer names its step
            log.warning("a step timer without a step id; dropped", run_id=run.run_id, kind=kind)
        elif kind == QueueKind.WAKE or (
            kind == QueueKind.WAIT_TIMEOUT and self.db.take_wait(uow.conn, run.run_id, sid)
        ):
            self.book.resolve_step(uow, run, sid, None, now)
        elif kind == QueueKind.INVOKE_TIMEOUT and sid not in run.steps:
            self.book.resolve_step(uow, run, sid, INVOKE_TIMEOUT_ERROR, now)

    async def call(self, item: DueItem, run: LiveRun) -> Handled:
        """Make one SDK call and apply its outcome; the run's next call comes back as
        ``chain`` when it is due now and kept for us (see ``work.Carry``).

        Group commit: the outcome is applied with those of the other calls that end
        before the event loop's next turn, in one transaction (``_flush``). It returns
        once that transaction has committed, so a step's result is durable before its
        run's next call starts; a slow call never holds back the others' commits."""
        try:
            made = await self._make(item, run)
            loop = asyncio.get_running_loop()
            done: asyncio.Future[Handled] = loop.create_future()
            self._pending.append((item, run, made, done))
            if len(self._pending) == 1:  # the first since the last flush schedules it
                loop.call_soon(self._flush, context=contextvars.Context())
            return await done
        finally:
            structlog.contextvars.unbind_contextvars("run_id", "fn_id")

    def _flush(self) -> None:
        """Apply the outcomes waiting in ``_pending`` in one transaction. If it fails,
        they are applied one by one, so that one bad outcome does not fail the rest; a
        call whose outcome cannot be applied fails (its lease expires, then it is
        retried), as before."""
        group, self._pending = self._pending, []
        group.sort(key=lambda g: g[1].run_id)  # one lock order on Postgres
        now = self.cfg.clock()
        applied: list[tuple[_Pending, Handled | BaseException]] = []
        try:
            with self.db.tx() as conn:
                applied = [(g, self._apply(conn, g[0], g[1], g[2], now)) for g in group]
        except Exception as exc:
            if len(group) == 1:
                applied = [(group[0], exc)]
            else:
                log.warning("a group commit failed; applying its outcomes one by one")
                applied = []
                for g in group:
                    try:
                        with self.db.tx() as conn:
                            applied.append((g, self._apply(conn, g[0], g[1], g[2], now)))
                    except Exception as one:
                        applied.append((g, one))
        for (_, run, made, fut), res in applied:
            if fut.cancelled():
                continue
            if isinstance(res, BaseException):
                fut.set_exception(res)
                continue
            self._note_finished(run.run_id, made, res)
            fut.set_result(res)

    async def _make(self, item: DueItem, run: LiveRun) -> _Made:
        """The SDK call for a run's next step (nothing is written)."""
        self.calls_made += 1
        fn = self.registry.get(run.fn_id)
        if fn is None:
            return _Made(None, None, self.cfg.clock())
        started = monotonic()
        t0 = self.cfg.clock()
        structlog.contextvars.bind_contextvars(run_id=run.run_id, fn_id=fn.id)
        out = await executor.call(
            self.registry.target_for(fn),
            executor.call_url(fn.url, item.step_id),
            executor.request_body(run, run.attempt, fn.max_attempts, self.cfg.inline_state_bytes),
            signing_key=self.cfg.signing_key,
            dev=self.cfg.dev,
            now=t0,
            timeout=self.cfg.request_timeout,
        )
        CALLS.labels(fn.id).observe(monotonic() - started)
        out = await aigateway.perform(out, self.cfg.request_timeout)  # step.ai.infer
        return _Made(fn, out, t0)

    def _apply(
        self, conn: Connection, item: DueItem, run: LiveRun, made: _Made, now: float
    ) -> Handled:
        """Apply a call's outcome in the caller's transaction."""
        if made.fn is None or made.out is None:
            uow = UnitOfWork(conn)
            error = {"name": "FunctionNotFound", "message": f"{run.fn_id} is not synced"}
            self.book.finish(uow, run, now, error=error)
            self.db.delete_item(conn, item)
            return Handled(emitted=uow.emitted)
        fresh = self.db.read_run(conn, run.run_id, lock=True)
        if fresh is None or fresh.status in TERMINAL:
            self.db.delete_item(conn, item)
            return Handled()  # cancelled while the call was in flight
        uow = UnitOfWork(conn, carry=Carry(item, now, now + self.cfg.lease_seconds))
        self.outcomes.apply(uow, fresh, made.fn, made.out, made.t0, now)
        carry = uow.carry
        assert carry is not None
        done = Handled(emitted=uow.emitted)
        if carry.next_run is None:
            self.db.delete_item(conn, item)
        else:
            done.chain = (carry.item, carry.next_run)
        return done

    def _note_finished(self, run_id: str, made: _Made, done: Handled) -> None:
        """After the commit: the run's final status, when this call ended it."""
        out = made.out
        if out is None or not (out.status == 200 or (out.status != 206 and out.error)):
            return
        try:  # only for the metric: a failing read must not lose the chained call
            final = self.db.load_run(run_id)
        except Exception:
            log.exception("could not read a finished run's status", run_id=run_id)
        else:
            if final and final.status in TERMINAL:
                done.finished = final.status
