"""The dispatcher: worker slots, the loop that leases due queue items (and our own held
next calls) in due order, cron ticks, and ingest, which may start a new run's first
call at once when a worker is free."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import enum
import heapq
import itertools
import random
from collections.abc import Awaitable
from typing import Any

import structlog
from prometheus_client import Counter, Gauge

from harvester.engine.config import EngineConfig
from harvester.engine.flow_state import BatchBuffers, CronSchedule, Debounces
from harvester.engine.records import TIMER_KINDS, DueItem, LiveRun, QueueKind, Slots
from harvester.engine.registry import Registry
from harvester.engine.runner import Handled, ItemRunner
from harvester.engine.runs import RunBook
from harvester.engine.sysdb import SystemDatabase, new_id
from harvester.engine.work import Capacity, Taken, UnitOfWork

log = structlog.get_logger("harvester.engine")
RUNS = Counter("engine_runs_finished_total", "Runs finished", ["fn", "status"])
QUEUE_DEPTH = Gauge("engine_queue_due", "Queue items due now")
IDLE_HORIZON_S = 2.0
PRUNE_EVERY_S = 60.0
CRON_RECHECK_S = 1.0
TIMER_GROUP = 64  # due timers fired in one transaction (a pass starts their calls)
TIMER_WINDOW = 4 * TIMER_GROUP  # due timers read; a group is a slice of them
# Woken calls a process keeps (leased, in _ready) per worker; beyond, the shared queue,
# where each costs a second lease and a second read of its run.
KEEP_WOKEN = 64
CHAIN_MAX = 32  # calls one worker makes in a row for one run before it requeues it
SHARE_EVERY_S = 0.05  # how often a process looks whether another one asks for work
ASK_FOR_S = 1.0  # how long an idle process's request for work stands


class _Start(enum.StrEnum):
    """What became of a due item the dispatcher looked at."""

    STARTED = "started"
    WAITS = "waits"  # at its concurrency limit: a held call stays held
    GONE = "gone"  # another process has it, or it went back to the shared queue


def normalize_event(ev: dict[str, Any], now: float) -> dict[str, Any]:
    """Fill id and ts the way Inngest does (id doubles as the idempotency key)."""
    return {
        "name": ev["name"],
        "data": ev.get("data") or {},
        "id": str(ev.get("id") or new_id()),
        "ts": int(ev.get("ts") or now * 1000),
    }


class Dispatcher:
    def __init__(
        self,
        db: SystemDatabase,
        registry: Registry,
        book: RunBook,
        runner: ItemRunner,
        cfg: EngineConfig,
    ) -> None:
        self.db, self.registry, self.book, self.runner, self.cfg = db, registry, book, runner, cfg
        self.owner = new_id()
        self.crons = CronSchedule(db)
        self.batches = BatchBuffers(db)
        self.debounces = Debounces(db)
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop_task: asyncio.Task[Any] | None = None
        self._renew_task: asyncio.Task[Any] | None = None
        # Queue items whose call is in flight here: their leases are renewed until the
        # call ends, so a call longer than its lease is never taken (and run) again.
        self._busy: set[int] = set()
        self._inflight: dict[str, int] = {}
        self._running = 0
        self._stopping = False
        # Next calls this process holds (leased) until a worker is free: a heap in due
        # order (due_at, arrival, item, run), so that a burst of a thousand woken runs
        # costs a pop per start, not a sort of everything held.
        self._ready: list[tuple[float, int, DueItem, LiveRun | None]] = []
        self._arrival = itertools.count()
        self._backlog = False  # did the dispatcher leave due work for lack of workers?
        self._cron_check_at = 0.0
        self._share_at = 0.0
        self._rand = random.Random()

    def wake(self, crons: bool = False) -> None:
        """Look for due work now (and at the cron schedules, after a sync)."""
        if crons:
            self._cron_check_at = 0.0
        self._wake.set()

    # -- ingest ------------------------------------------------------------------------
    def ingest(self, events: list[dict[str, Any]]) -> list[str]:
        """Store events and start what they trigger. A new run's first call that is due
        now and fits a free worker is leased in the same transaction and started at
        once, without waiting for the loop to find it."""
        self.registry.refresh()
        ids: list[str] = []
        now = self.cfg.clock()
        queue = list(events)
        with self.db.tx() as conn:
            uow = UnitOfWork(conn, capacity=self._capacity())
            while queue:
                ev = queue.pop(0)
                internal, fresh = self.db.insert_event(conn, ev, now)
                ids.append(internal)
                if fresh:
                    event = {k: ev[k] for k in ("name", "data", "id", "ts")}
                    self.book.dispatch(uow, event, internal, now)
                queue.extend(normalize_event(e, now) for e in uow.take_emitted())
        for item, run in uow.claimed:  # committed: take the workers, then start
            self._reserve(item.concurrency)
            self._launch(item, item.concurrency, run)
        self._wake.set()
        return ids[: len(events)]

    def _capacity(self) -> Capacity | None:
        """What new runs may take at once: only on the engine's loop, where nothing else
        runs between this transaction and the reservations after its commit."""
        if not self._can_claim():
            return None
        return Capacity(
            owner=self.owner,
            lease_until=self.cfg.clock() + self.cfg.lease_seconds,
            workers=self.cfg.workers - self._running,
            inflight=dict(self._inflight),
            limited=self.cfg.limited_calls,
        )

    def _can_claim(self) -> bool:
        if self._loop_task is None or self._stopping:
            return False
        try:
            return asyncio.get_running_loop() is self._loop_task.get_loop()
        except RuntimeError:  # called from a thread without the engine's loop
            return False

    # -- workers -------------------------------------------------------------------------
    def _fits(self, slots: Slots) -> bool:
        return all(self._inflight.get(k, 0) < limit for k, limit in slots)

    def _reserve(self, slots: Slots) -> None:
        """Take a worker and the run's concurrency slots (the caller checked they fit)."""
        for k, _ in slots:
            self._inflight[k] = self._inflight.get(k, 0) + 1
        self._running += 1

    def _unreserve(self, slots: Slots) -> None:
        for k, _ in slots:
            self._inflight[k] -= 1
        self._running -= 1

    def _launch(self, item: DueItem, slots: Slots, run: LiveRun | None) -> None:
        # A fresh context: ingest may run inside an SDK call (step.send_event served
        # in-process), whose context variables (the SDK's step context, the log's
        # run_id) must not leak into another run's call.
        task = asyncio.create_task(self._process(item, slots, run), context=contextvars.Context())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _hold(self, item: DueItem, run: LiveRun | None) -> None:
        heapq.heappush(self._ready, (item.due_at, next(self._arrival), item, run))

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        if self._loop_task is None:
            self._stopping = False
            self._loop_task = asyncio.create_task(self._loop(), name="engine-dispatch")
            self._renew_task = asyncio.create_task(self._renew(), name="engine-lease-renewal")

    async def stop(self, timeout: float) -> None:
        """Stop taking work; let in-flight calls finish, then release what is left."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._tasks:  # the calls in flight keep their leases renewed meanwhile
            await asyncio.wait(self._tasks, timeout=timeout)
        for t in self._tasks:
            t.cancel()
        if self._renew_task is not None:
            self._renew_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renew_task
            self._renew_task = None
        self._ready.clear()
        self.db.release_leases(self.owner)

    @property
    def running(self) -> int:
        """Queue items this process is working on now."""
        return self._running

    async def _loop(self) -> None:
        last_prune = 0.0
        while not self._stopping:
            now = self.cfg.clock()
            try:
                self.registry.refresh()
                if self.cfg.fire_crons and now >= self._cron_check_at:
                    self._fire_crons(now)
                started = self._claim_and_start(now)
                if now >= self._share_at:
                    self._share_at = now + SHARE_EVERY_S
                    self._share(now, idle=not (started or self._ready))
                if now - last_prune > PRUNE_EVERY_S:
                    self.db.prune(now - self.cfg.history_days * 86400)
                    last_prune = now
            except Exception:
                with contextlib.suppress(Exception):  # a broken log must not stop dispatch
                    log.exception("dispatcher error; retrying")
                started = 0
            if started:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._idle_wait(now))

    async def _renew(self) -> None:
        """Every third of a lease, extend the leases of the calls in flight here. A
        call that ended (done or failed) is no longer renewed: a failed one is retried
        once its lease runs out, as before."""
        every = self.cfg.lease_seconds / 3
        while True:
            await asyncio.sleep(every)
            if not self._busy:
                continue
            try:
                until = self.cfg.clock() + self.cfg.lease_seconds
                self.db.renew_leases(self.owner, sorted(self._busy), until)
            except Exception:
                with contextlib.suppress(Exception):
                    log.exception("could not renew the leases of calls in flight; retrying")

    def _idle_wait(self, now: float) -> float:
        """Sleep until the nearest due time (a timer fires on time, not at the next
        poll), at most ``poll_interval``: other processes may queue work too."""
        wait = self.cfg.poll_interval
        if self._backlog or self._ready:  # due work waits for a worker: a finishing call
            return wait  # wakes us, and a query per finished call would slow the burst
        if self.cfg.fire_crons and self._cron_check_at > now:
            wait = min(wait, self._cron_check_at - now)
        try:
            due = self.db.next_due(now)
        except Exception:
            log.exception("could not read the next due time; polling")
            return wait
        # Due already but not started (no free worker or slot): a finishing call wakes us.
        if due is not None and due > now:
            wait = min(wait, due - now)
        return wait

    def _claim_and_start(self, now: float) -> int:
        """Start due work in due order: queue items other processes could take too, and
        our own held next calls (``_ready``), merged, while workers are free.

        Due timers are taken and fired together in one transaction (they need no
        worker: each woken run's next call is queued, due now, for any process).
        Shared calls picked in one pass are leased in one transaction; calls that end
        together commit their outcomes together (``ItemRunner.call``)."""
        if self._running >= self.cfg.workers:
            self._backlog = True
            return self._fire_timers(now)  # they need no worker
        # May fail: nothing is taken out before it.
        due = self.db.candidates(now, unlimited_only=not self.cfg.limited_calls)
        shared = [it for it in due if it.kind not in TIMER_KINDS]
        # Timers among the due items: fire a group of them (beyond it, the next pass).
        fired = self._fire_timers(now) if len(shared) < len(due) else 0
        started, i = 0, 0
        skipped: list[tuple[DueItem, LiveRun | None]] = []  # held, to hold again
        blocked: list[tuple[DueItem, LiveRun | None]] = []  # shared, to take
        to_lease: list[tuple[DueItem, Slots]] = []
        group: list[tuple[DueItem, Slots, LiveRun]] = []
        try:
            while self._running < self.cfg.workers:
                held = bool(self._ready) and (
                    i >= len(shared) or self._ready[0][0] < shared[i].due_at
                )  # due order; shared first on a tie
                if held:
                    _, _, item, run = heapq.heappop(self._ready)
                elif i < len(shared):
                    item, run, i = shared[i], None, i + 1
                else:
                    break
                try:
                    outcome = self._start(item, run, held, now, to_lease, group)
                except BaseException:
                    if held:  # keep what we hold; the dispatcher retries
                        skipped.append((item, run))
                    raise
                if outcome is _Start.STARTED:
                    started += 1
                elif outcome is _Start.WAITS:
                    (skipped if held else blocked).append((item, run))
        finally:
            for item, run in skipped:  # at their concurrency limit: they wait here
                self._hold(item, run)
            for item, slots, run in group:  # held calls, leased already
                self._launch(item, slots, run)
            try:
                started -= self._lease_and_launch(to_lease, now)
            finally:
                self._hold_blocked([it for it, _ in blocked], now)
        self._backlog = self._running >= self.cfg.workers and (i < len(shared) or bool(self._ready))
        QUEUE_DEPTH.set(started)
        return started + fired

    def _share(self, now: float, idle: bool) -> None:
        """Work sharing between engine processes on one database.

        A run's next call stays with the process that made its last one (``_ready``),
        so of two processes the one that leased more first calls at the start of a
        burst kept those runs to their end while the other, its share done, idled: the
        10-step bench's two processes split the work anywhere from 26/74 to 50/50, and
        their throughput swung with it (1,370-2,220 steps/s). So a process with free
        workers and nothing to take asks for work (a flow key) while others hold due
        calls beyond their workers; a process holding more than a worker's worth hands
        the latest due of its held calls back to the shared queue, enough for an even
        split, and takes the request. A single process never asks."""
        try:
            if idle and self._running < self.cfg.workers:
                if self.db.held_by_others(self.owner, now) > self.cfg.workers:
                    self.db.ask_for_work(self.owner, now + ASK_FOR_S)
                return
            if len(self._ready) <= self.cfg.workers:
                return
            asks = self.db.asking_for_work(self.owner, now)
            if not asks:
                return
            keep = max(self.cfg.workers, (len(self._ready) + self._running) // (len(asks) + 1))
            give = len(self._ready) - keep
            if give <= 0:
                return
            entries = sorted(self._ready)
            kept, given = entries[:keep], entries[keep:]
            self.db.hand_over(self.owner, [e[2].id for e in given], asks)
        except Exception:  # work stays where it is: nothing is lost
            log.exception("could not share work with the other engine processes")
            return
        heapq.heapify(kept)
        self._ready = kept
        log.debug("handed calls to processes asking for work", calls=len(given), asks=len(asks))

    def _start(
        self,
        item: DueItem,
        run: LiveRun | None,
        held: bool,
        now: float,
        to_lease: list[tuple[DueItem, Slots]],
        group: list[tuple[DueItem, Slots, LiveRun]],
    ) -> _Start:
        """Take a worker for one item: a held call joins ``group``, a shared one
        ``to_lease`` (both start at the end of the pass); a batch flush or a
        debounce is leased and starts now."""
        slots = item.concurrency or []
        if item.kind == QueueKind.CALL and not self._fits(slots):
            return _Start.WAITS
        until = item.lease_until
        if held and (until is None or now > until - self.cfg.lease_seconds / 2):
            self.db.release_item(item.id, self.owner)  # too old: back to the shared queue
            return _Start.GONE
        if item.kind == QueueKind.CALL:
            self._reserve(slots)
            if run is None:
                to_lease.append((item, slots))
            else:
                group.append((item, slots, run))
            return _Start.STARTED
        got, run = self.db.lease(item, self.owner, now, now + self.cfg.lease_seconds)
        if not got:
            return _Start.GONE
        self._reserve(slots)
        self._launch(item, slots, run)
        return _Start.STARTED

    def _hold_blocked(self, items: list[DueItem], now: float) -> None:
        """Shared calls at their concurrency limit are leased and held here, like our
        own: left in the shared queue, a burst of them would fill the head of every
        pass's window of due items and keep other functions' calls behind it."""
        if not items:
            return
        until = now + self.cfg.lease_seconds
        try:
            runs = self.db.lease_group(items, self.owner, now, until)
        except Exception:  # they stay in the shared queue: nothing is lost
            log.exception("could not take calls waiting for a concurrency slot")
            return
        for item, run in zip(items, runs, strict=True):
            if run is not None:
                self._hold(item.leased(until), run)

    def _lease_and_launch(self, to_lease: list[tuple[DueItem, Slots]], now: float) -> int:
        """Lease this pass's shared calls in one transaction and start them; those
        another process took give their worker back. Returns how many those were."""
        if not to_lease:
            return 0
        try:
            runs = self.db.lease_group(
                [it for it, _ in to_lease], self.owner, now, now + self.cfg.lease_seconds
            )
        except Exception:
            for _, slots in to_lease:
                self._unreserve(slots)
            raise
        lost = 0
        for (item, slots), run in zip(to_lease, runs, strict=True):
            if run is None:
                self._unreserve(slots)
                lost += 1
            else:
                self._launch(item, slots, run)
        return lost

    def _fire_timers(self, now: float) -> int:
        """Fire a group of due timers, whether or not a worker is free. The woken
        runs' next calls stay with us while our held calls number under
        ``KEEP_WOKEN`` per worker: they start in this same pass, with the run as the
        timer wrote it (no second lease or read). The rest go to the shared queue,
        due now, for any process; due order then decides who runs first.

        A group is a random slice of the due timers read: two processes firing a burst
        at once then seldom try the same timers (one of them would lose each)."""
        timers = self.db.due_timers(now, TIMER_WINDOW)
        if len(timers) > TIMER_GROUP:
            at = self._rand.randrange(len(timers) - TIMER_GROUP + 1)
            timers = timers[at : at + TIMER_GROUP]
        if timers:
            room = max(0, KEEP_WOKEN * self.cfg.workers - len(self._ready))
            fired = self.runner.fire_timers(timers, self.owner, room, self.cfg.limited_calls)
            for item, run in fired.kept:
                self._hold(item, run)
            if fired.emitted:
                self.ingest([normalize_event(e, self.cfg.clock()) for e in fired.emitted])
        return len(timers)

    async def _process(self, item: DueItem, slots: Slots, run: LiveRun | None) -> None:
        chain: Taken | None = None
        try:
            chain = self._after(item, await self._busy_with(item, self.runner.handle(item, run)))
            hops = 0
            # Go straight on with the run's next call (its item stays leased to us, its
            # concurrency slots stay taken) while nothing else waits for a worker, and
            # at most CHAIN_MAX times; else it waits its turn in due order (_ready).
            while chain is not None and not self._stopping:
                if hops >= CHAIN_MAX or self._backlog or self._ready:
                    self._hold(*chain)
                    chain = None
                    break
                hops += 1
                (item, nxt), chain = chain, None  # a failing call keeps its lease until expiry
                chain = self._after(item, await self._busy_with(item, self.runner.call(item, nxt)))
        except Exception:
            with contextlib.suppress(Exception):
                log.exception(
                    "queue item failed; it will be retried after its lease",
                    run_id=item.run_id,
                    kind=item.kind,
                )
        finally:
            if chain is not None:  # hand the next call back to the queue
                try:
                    self.db.release_item(chain[0].id, self.owner)
                except Exception:
                    log.exception("could not release a queue item; its lease will expire")
            self._unreserve(slots)
            self._wake.set()

    async def _busy_with(self, item: DueItem, call: Awaitable[Handled]) -> Handled:
        """``call``, with ``item``'s lease renewed while it is in flight."""
        self._busy.add(item.id)
        try:
            return await call
        finally:
            self._busy.discard(item.id)

    def _after(self, item: DueItem, done: Handled) -> Taken | None:
        """Act on an item's committed transaction; returns the call to go on with."""
        if done.finished:
            RUNS.labels(item.fn_id, done.finished).inc()
        if done.emitted:
            now = self.cfg.clock()
            try:
                self.ingest([normalize_event(e, now) for e in done.emitted])
            except Exception:
                # The outcome is committed: its next call, leased to us, must not wait
                # for the lease to expire because what came after failed.
                if done.chain is not None:
                    self._hold(*done.chain)
                raise
        return done.chain

    def _fire_crons(self, now: float) -> None:
        """Start the runs of due cron ticks; then sleep until the next tick (at most
        CRON_RECHECK_S, since another process may sync new schedules)."""
        upcoming = now + CRON_RECHECK_S
        functions = self.registry.functions
        with self.db.tx() as conn:
            uow = UnitOfWork(conn)
            for tick in self.crons.ticks(conn):
                if tick.next > now or tick.fn_id not in functions:
                    upcoming = min(upcoming, max(tick.next, now))
                    continue
                # Missed ticks are not back-filled: one run, then the next future tick.
                self.crons.advance(conn, tick, now)
                ev = normalize_event(
                    {"name": "inngest/scheduled.timer", "data": {"cron": tick.expr}}, now
                )
                internal, _ = self.db.insert_event(conn, ev, now)
                self.book.start_run(uow, functions[tick.fn_id], [ev], now, internal)
        self._cron_check_at = upcoming

    def is_idle(self) -> bool:
        """Nothing running here, nothing queued near, no batch or debounce open."""
        now = self.cfg.clock()
        if self._running or self.db.busy_count(now + IDLE_HORIZON_S):
            return False
        with self.db.tx() as conn:
            return not (self.batches.has_open(conn) or self.debounces.has_pending(conn))
