"""The engine's one face: what the user holds. It builds the parts (system database,
registry, run book, item runner, dispatcher, protocol router) and offers typed operator
methods over them; the parts are its own business."""

from __future__ import annotations

import asyncio
from types import MappingProxyType
from typing import Any

import httpx

from harvester.engine import cancellations, gctune
from harvester.engine.api import build_router
from harvester.engine.checkpoints import WalCheckpointer
from harvester.engine.clock import monotonic
from harvester.engine.config import TERMINAL, EngineConfig
from harvester.engine.dispatcher import Dispatcher, normalize_event
from harvester.engine.history import RunHistory
from harvester.engine.outcomes import OutcomeHandler
from harvester.engine.records import (
    EventRecord,
    FunctionBucket,
    FunctionRecord,
    QueueItem,
    QueueKind,
    QueueStats,
    RunPage,
    RunRecord,
    RunSummary,
)
from harvester.engine.registry import Registry
from harvester.engine.runner import ItemRunner
from harvester.engine.runs import RunBook
from harvester.engine.sysdb import SystemDatabase, sqlite_file
from harvester.engine.work import UnitOfWork

BULK_CANCEL_MAX = 10_000


class Engine:
    """An embedded, Inngest-compatible executor over one SQL database."""

    def __init__(self, cfg: EngineConfig) -> None:
        """The one place the parts are built, each given only what it uses: the registry
        the database; the run book the database and a read-only view of the functions;
        the outcome handler those and the book; runner and dispatcher the parts they drive."""
        self.cfg = cfg
        path = sqlite_file(cfg.database_url)
        self._checkpoints = WalCheckpointer(path) if path else None
        self._db = SystemDatabase(cfg.database_url, own_checkpoints=path is not None)
        self._history = RunHistory(self._db.sql)
        self._registry = Registry(self._db, cfg)
        # A view, not a copy: the registry updates its dict in place on every reload.
        functions = MappingProxyType(self._registry.functions)
        self._book = RunBook(self._db, functions)
        outcomes = OutcomeHandler(self._db, self._book, functions, cfg)
        self._runner = ItemRunner(self._db, self._registry, self._book, outcomes, cfg)
        self._dispatcher = Dispatcher(self._db, self._registry, self._book, self._runner, cfg)
        self.router = build_router(self, self._db, self._history)

    # -- apps and events -------------------------------------------------------------------
    def register(self, url: str, app_id: str, configs: list[dict[str, Any]]) -> int:
        """Replace an app's functions (all validated first: nothing partial)."""
        n = self._registry.register(url, app_id, configs)
        self._dispatcher.wake(crons=True)
        return n

    async def register_app(
        self, url: str, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        """Ask the app at ``url`` to sync (PUT); in-process apps go through ``transport``."""
        await self._registry.register_app(url, transport)

    async def send(self, events: list[dict[str, Any]]) -> list[str]:
        """Store and route events (the same path as ``POST /e/{key}``); their ids."""
        return self.ingest(events)

    def ingest(self, events: list[dict[str, Any]]) -> list[str]:
        """``send`` for callers without a loop of their own (the run starts when the
        dispatcher finds it)."""
        return self._dispatcher.ingest([normalize_event(e, self.cfg.clock()) for e in events])

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the dispatcher on the running event loop; finish the bulk
        cancellations a restart cut short."""
        if self.cfg.tune_gc:
            gctune.tune()
        if self._checkpoints is not None:
            self._checkpoints.start()
        for job in cancellations.unfinished(self._db):
            cancellations.run(self._db, self._book, job, self.cfg.clock())
        await self._dispatcher.start()

    def create_cancellation(self, body: Any) -> dict[str, Any]:
        """Validate and run a bulk cancellation (``POST /v1/cancellations``); the job
        with how many runs it cancelled. Raises ``CancellationError`` (status, field)."""
        self._registry.refresh()
        job = cancellations.validate(body, self._registry.functions, self.cfg.clock())
        return cancellations.run(self._db, self._book, job, self.cfg.clock())

    def cancellations(self) -> list[dict[str, Any]]:
        """Every bulk cancellation job kept, oldest first."""
        return cancellations.jobs(self._db)

    def delete_cancellation(self, job_id: str) -> bool:
        """Forget a bulk cancellation job; False when there is none by that id."""
        return cancellations.delete(self._db, job_id)

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking work; let in-flight calls finish, then release what is left."""
        await self._dispatcher.stop(timeout)
        await self._registry.close()
        if self._checkpoints is not None:
            await asyncio.to_thread(self._checkpoints.stop)

    def close(self) -> None:
        """Close the database connections (after ``stop``)."""
        self._db.dispose()

    def is_idle(self) -> bool:
        return self._dispatcher.is_idle()

    def calls_made(self) -> int:
        """SDK calls this engine (this process) has made since it was built."""
        return self._runner.calls_made

    async def wait_for_idle(self, timeout: float = 60.0) -> None:
        """Until nothing is queued or running, no batch is open and no timer is near."""
        deadline = monotonic() + timeout
        streak = 0
        while monotonic() < deadline:
            streak = streak + 1 if self.is_idle() else 0
            if streak >= 3:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"engine still busy after {timeout}s")

    # -- reads -----------------------------------------------------------------------------
    def get_run(self, run_id: str) -> RunRecord | None:
        """One run with its event(s), output or error and step timeline."""
        return self._history.run_detail(run_id)

    async def wait_for_run(self, run_id: str, timeout: float = 30.0) -> RunRecord:
        """The run once it has finished; TimeoutError if it has not after ``timeout``."""
        deadline = monotonic() + timeout
        while monotonic() < deadline:
            run = self.get_run(run_id)
            if run and run.status in TERMINAL:
                return run
            await asyncio.sleep(0.02)
        raise TimeoutError(f"run {run_id} not finished after {timeout}s")

    def list_runs(
        self,
        *,
        fn: str | None = None,
        status: str | None = None,
        since: float | None = None,
        until: float | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> RunPage:
        """Runs newest first, filtered; pass ``next_cursor`` back for the next page."""
        return self._history.list_runs(
            fn=fn, status=status, since=since, until=until, cursor=cursor, limit=limit
        )

    def runs_page(
        self,
        *,
        fn: str | None = None,
        status: str | None = None,
        since: float | None = None,
        until: float | None = None,
        sort: str = "created",
        descending: bool = True,
        offset: int = 0,
        limit: int = 50,
    ) -> list[RunSummary]:
        """One page of runs sorted by a column of ``RUN_SORTS`` (ValueError for another),
        for a list a person pages through; ``list_runs`` is the cursor API."""
        return self._history.runs_page(
            fn=fn,
            status=status,
            since=since,
            until=until,
            sort=sort,
            descending=descending,
            offset=offset,
            limit=limit,
        )

    def count_runs(
        self,
        *,
        fn: str | None = None,
        status: str | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> int:
        """How many runs match the filters (``runs_page``'s total)."""
        return self._history.count_runs(fn=fn, status=status, since=since, until=until)

    def events_page(
        self,
        *,
        name: str | None = None,
        sort: str = "received",
        descending: bool = True,
        offset: int = 0,
        limit: int = 50,
    ) -> list[EventRecord]:
        """One page of events sorted by a column of ``EVENT_SORTS``, with their runs."""
        return self._history.events_page(
            name=name, sort=sort, descending=descending, offset=offset, limit=limit
        )

    def count_events(self, *, name: str | None = None) -> int:
        """How many events ``events_page`` lists over all its pages."""
        return self._history.count_events(name=name)

    def run_ids_with_prefix(self, prefix: str, limit: int = 10) -> tuple[list[str], bool]:
        """Run ids starting with ``prefix`` (at most ``limit``, newest first), and
        whether more do."""
        return self._history.run_ids_with_prefix(prefix, limit)

    def run_counts(self, since: float) -> dict[str, dict[str, int]]:
        """Runs created at or after ``since`` by function id, then status."""
        return self._history.run_counts(since)

    def get_event(self, internal_id: str) -> EventRecord | None:
        """A stored event by the id ``send`` returned."""
        return self._history.get_event(internal_id)

    def list_events(
        self, *, name: str | None = None, limit: int = 50, cursor: float | None = None
    ) -> list[EventRecord]:
        """Recent events with the runs they started, newest first."""
        return self._history.list_events(name=name, limit=limit, cursor=cursor)

    def event_runs(self, internal_id: str) -> list[RunSummary]:
        """The runs an event started, batches and debounces included."""
        return self._history.event_runs(internal_id)

    def function_series(
        self, fn_id: str, since: float, until: float, bucket: float = 3600.0
    ) -> list[FunctionBucket]:
        """Throughput, failures and latency of ``fn_id``'s runs that ended in
        [since, until), per ``bucket`` seconds, oldest first (empty buckets included)."""
        if bucket <= 0 or until <= since:
            raise ValueError("need bucket > 0 and until > since")
        return self._history.function_series(fn_id, since, until, bucket)

    def function_stats(self) -> dict[str, dict[str, int]]:
        """Run counts by function id, then status."""
        return self._history.function_stats()

    def list_functions(self) -> list[FunctionRecord]:
        """Synced functions with their config and run counts by status, as stored (every
        engine process on this database routes these)."""
        stats = self._history.function_stats()
        return [
            FunctionRecord(
                id=r["id"], name=r["name"], config=r["config"], runs=stats.get(r["id"], {})
            )
            for r in self._db.load_functions()
        ]

    def get_function(self, fn_id: str) -> FunctionRecord | None:
        return next((f for f in self.list_functions() if f.id == fn_id), None)

    def list_queue(self, kind: QueueKind | None = None) -> list[QueueItem]:
        """What is queued (calls, timers, batch flushes...), in due order."""
        return self._history.list_queue(kind)

    def queue_stats(self, now: float | None = None) -> QueueStats:
        """Queue items due (at ``now``, default the engine's clock), queued, and lag."""
        return self._history.queue_stats(self.cfg.clock() if now is None else now)

    # -- operator actions --------------------------------------------------------------------
    def cancel(self, run_id: str, why: str = "cancelled by an operator") -> bool:
        """Cancel an unfinished run; False when it is unknown or already finished."""
        with self._db.tx() as conn:
            return self._book.cancel(UnitOfWork(conn), run_id, self.cfg.clock(), why)

    def bulk_cancel(self, fn: str, since: float, until: float) -> int:
        """Cancel every unfinished run of ``fn`` created in [since, until); how many."""
        page = self.list_runs(fn=fn, since=since, until=until, limit=BULK_CANCEL_MAX)
        return sum(1 for r in page.data if not r.finished and self.cancel(r.run_id))

    def replay(self, run_id: str) -> str | None:
        """A new run of the same function with the same event(s); its id."""
        run = self._db.load_run(run_id)
        fn = self._registry.get(run.fn_id) if run else None
        if run is None or fn is None:
            return None
        with self._db.tx() as conn:
            new = self._book.start_run(
                UnitOfWork(conn), fn, run.events, self.cfg.clock(), run.event_id
            )
        self._dispatcher.wake()
        return new

    def prune_history(self, before: float, batch: int = 1000) -> int:
        """Delete finished runs older than ``before`` (and what only they used)."""
        return self._db.prune(before, batch=batch)
