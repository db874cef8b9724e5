"""What each flow-control feature remembers between calls, behind one typed class per
feature: cron schedules, event batches, debounces, singletons, GCRA cells (throttle and
rate limit), idempotency marks and bulk cancellation jobs.

They share one table (``engine_flow``: a key, a JSON value, an optional expiry) through
``SystemDatabase.flow_*``, and nothing else calls those: each class owns its key prefix
and converts its record to and from the stored JSON in one place (``to_json`` and
``from_json``). Keys and JSON are the ones the engine has always written, so an existing
database keeps working. Every method works in the caller's transaction (``conn``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from harvester.engine.durations import next_tick
from harvester.engine.sysdb import SystemDatabase

Event = dict[str, Any]


def _key(prefix: str, *parts: str) -> str:
    return prefix + ":".join(parts)


class _FeatureState:
    """One flow-control feature's state in the system database's flow table."""

    __slots__ = ("_db",)

    def __init__(self, db: SystemDatabase) -> None:
        self._db = db


# -- cron ----------------------------------------------------------------------------------
@dataclass(slots=True, frozen=True)
class CronTick:
    """A cron trigger's schedule: function ``fn_id`` runs next at ``next`` (epoch s)."""

    fn_id: str
    expr: str
    next: float

    def to_json(self) -> dict[str, Any]:
        return {"fn": self.fn_id, "expr": self.expr, "next": self.next}

    @classmethod
    def from_json(cls, value: Any) -> CronTick:
        return cls(str(value["fn"]), str(value["expr"]), float(value["next"]))


class CronSchedule(_FeatureState):
    """The next tick of every synced cron trigger (kept until the database is reset)."""

    PREFIX = "cron:"
    __slots__ = ()

    @classmethod
    def key(cls, fn_id: str, expr: str) -> str:
        return _key(cls.PREFIX, fn_id, expr)

    def seed(self, conn: Connection, fn_id: str, expr: str, now: float) -> bool:
        """Schedule a trigger's first tick after ``now``, unless it has a schedule: a
        sync again keeps the tick it had. True when it was new."""
        key = self.key(fn_id, expr)
        if self._db.flow_get(conn, key) is not None:
            return False
        self._db.flow_put(conn, key, CronTick(fn_id, expr, next_tick(expr, now)).to_json())
        return True

    def ticks(self, conn: Connection) -> list[CronTick]:
        """Every schedule, due or not (also those of functions no longer synced)."""
        return [CronTick.from_json(v) for _, v in self._db.flow_prefix(conn, self.PREFIX)]

    def advance(self, conn: Connection, tick: CronTick, now: float) -> CronTick:
        """Move a fired schedule to its first tick after ``now``: missed ticks are
        not back-filled."""
        moved = CronTick(tick.fn_id, tick.expr, next_tick(tick.expr, now))
        self._db.flow_put(conn, self.key(tick.fn_id, tick.expr), moved.to_json())
        return moved


# -- batches -------------------------------------------------------------------------------
@dataclass(slots=True, frozen=True)
class Batch:
    """A batch key's buffered events, the first of them received at ``opened``."""

    events: list[Event]
    opened: float

    def to_json(self) -> dict[str, Any]:
        return {"events": self.events, "opened": self.opened}

    @classmethod
    def from_json(cls, value: Any) -> Batch:
        return cls(list(value["events"]), float(value["opened"]))


class BatchBuffers(_FeatureState):
    """Open event batches (``batchEvents``), one per function and batch key."""

    PREFIX = "batch:"
    __slots__ = ()

    @classmethod
    def key(cls, fn_id: str, key_value: str) -> str:
        return _key(cls.PREFIX, fn_id, key_value)

    def add(
        self, conn: Connection, key: str, event: Event, now: float, max_size: int
    ) -> tuple[Batch, bool]:
        """Buffer ``event`` (a batch opens ``now`` if none is open); the batch, and
        True when it is full: it is then taken out, for one run."""
        held = self._db.flow_get(conn, key, lock=True)
        before = Batch.from_json(held) if held else Batch([], now)
        batch = Batch([*before.events, event], before.opened)
        if len(batch.events) >= max_size:
            self._db.flow_delete(conn, key)
            return batch, True
        self._db.flow_put(conn, key, batch.to_json())
        return batch, False

    def take(self, conn: Connection, key: str) -> Batch | None:
        """Take the key's batch out (its timeout passed); None when none is open."""
        held = self._db.flow_get(conn, key, lock=True)
        batch = Batch.from_json(held) if held else None
        if batch is None or not batch.events:
            return None
        self._db.flow_delete(conn, key)
        return batch

    def has_open(self, conn: Connection) -> bool:
        """Whether any batch is open (the engine is not idle then)."""
        return bool(self._db.flow_prefix(conn, self.PREFIX))


# -- debounce ------------------------------------------------------------------------------
# A debounce fires when its queue item falls due at ``due``; float sums may land the
# item's time a hair before the stored one.
DEBOUNCE_SLACK_S = 1e-6


@dataclass(slots=True, frozen=True)
class Debounced:
    """A debounce key's latest ``event``, the first one's arrival (``first``) and when
    its run starts unless another event comes (``due``)."""

    event: Event
    first: float
    due: float

    def to_json(self) -> dict[str, Any]:
        return {"event": self.event, "first": self.first, "due": self.due}

    @classmethod
    def from_json(cls, value: Any) -> Debounced:
        return cls(dict(value["event"]), float(value["first"]), float(value["due"]))


class Debounces(_FeatureState):
    """Pending debounces (``debounce``), one per function and debounce key."""

    PREFIX = "debounce:"
    __slots__ = ()

    @classmethod
    def key(cls, fn_id: str, key_value: str) -> str:
        return _key(cls.PREFIX, fn_id, key_value)

    def push(
        self,
        conn: Connection,
        key: str,
        event: Event,
        now: float,
        period: float,
        timeout: float | None,
    ) -> Debounced:
        """Keep ``event`` as the latest and push the start to ``now + period``, but
        never past ``timeout`` after the first event."""
        held = self._db.flow_get(conn, key, lock=True)
        first = Debounced.from_json(held).first if held else now
        due = now + period
        if timeout is not None:
            due = min(due, first + timeout)
        pending = Debounced(event, first, due)
        self._db.flow_put(conn, key, pending.to_json())
        return pending

    def take_due(self, conn: Connection, key: str, now: float) -> Debounced | None:
        """Take the key's debounce out when it is due at ``now``; None when there is
        none or a newer event pushed it later."""
        held = self._db.flow_get(conn, key, lock=True)
        pending = Debounced.from_json(held) if held else None
        if pending is None or pending.due > now + DEBOUNCE_SLACK_S:
            return None
        self._db.flow_delete(conn, key)
        return pending

    def has_pending(self, conn: Connection) -> bool:
        """Whether any debounce waits to fire (the engine is not idle then)."""
        return bool(self._db.flow_prefix(conn, self.PREFIX))


# -- singleton -----------------------------------------------------------------------------
class Singletons(_FeatureState):
    """The run that last started under each singleton key (it may have ended since)."""

    PREFIX = "singleton:"
    __slots__ = ()

    @classmethod
    def key(cls, fn_id: str, key_value: str) -> str:
        return _key(cls.PREFIX, fn_id, key_value)

    def holder(self, conn: Connection, key: str) -> str | None:
        """The id of the key's last run (locked until the caller's transaction ends)."""
        run_id = self._db.flow_get(conn, key, lock=True)
        return str(run_id) if run_id else None

    def hold(self, conn: Connection, key: str, run_id: str) -> None:
        """Make ``run_id`` the key's run."""
        self._db.flow_put(conn, key, run_id)


# -- throttle and rate limit (GCRA) --------------------------------------------------------
# A cell is kept this long after its theoretical arrival time, when it no longer limits.
RATE_CELL_TTL_S = 3600.0


class RateCells(_FeatureState):
    """GCRA cells: each throttle or rate-limit key's theoretical arrival time (TAT)."""

    THROTTLE = "throttle:"
    RATE_LIMIT = "ratelimit:"
    __slots__ = ()

    @classmethod
    def throttle_key(cls, fn_id: str, key_value: str) -> str:
        return _key(cls.THROTTLE, fn_id, key_value)

    @classmethod
    def rate_limit_key(cls, fn_id: str, key_value: str) -> str:
        return _key(cls.RATE_LIMIT, fn_id, key_value)

    def tat(self, conn: Connection, key: str) -> float | None:
        """The key's TAT (locked until the caller's transaction ends); None if unset."""
        value = self._db.flow_get(conn, key, lock=True)
        return None if value is None else float(value)

    def set_tat(self, conn: Connection, key: str, tat: float) -> None:
        self._db.flow_put(conn, key, tat, expires_at=tat + RATE_CELL_TTL_S)


# -- idempotency ---------------------------------------------------------------------------
class IdempotencyMarks(_FeatureState):
    """Idempotency keys a run started for, each kept ``WINDOW_S`` (Inngest: 24 h)."""

    PREFIX = "idem:"
    WINDOW_S = 24 * 3600.0
    __slots__ = ()

    @classmethod
    def key(cls, fn_id: str, key_value: str) -> str:
        return _key(cls.PREFIX, fn_id, key_value)

    def seen(self, conn: Connection, key: str, now: float) -> bool:
        """True when the key is marked already; else marks it, from ``now``."""
        if self._db.flow_get(conn, key) is not None:
            return True
        self._db.flow_put(conn, key, True, expires_at=now + self.WINDOW_S)
        return False


# -- bulk cancellation ---------------------------------------------------------------------
@dataclass(slots=True)
class CancellationJob:
    """A bulk cancellation: the unfinished runs of function ``fn`` (asked for as
    ``app_id`` and ``function_id``) created in [``started_after``, ``started_before``)
    whose event passes ``if_expr``; how many it ``cancelled``, whether it is ``done``."""

    id: str
    app_id: str
    function_id: str
    fn: str
    started_after: float | None
    started_before: float
    if_expr: str | None
    created_at: float
    done: bool = False
    cancelled: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "app_id": self.app_id,
            "function_id": self.function_id,
            "fn": self.fn,
            "started_after": self.started_after,
            "started_before": self.started_before,
            "if": self.if_expr,
            "created_at": self.created_at,
            "done": self.done,
            "cancelled": self.cancelled,
        }

    @classmethod
    def from_json(cls, value: Any) -> CancellationJob:
        after, expr = value.get("started_after"), value.get("if")
        return cls(
            id=str(value["id"]),
            app_id=str(value["app_id"]),
            function_id=str(value["function_id"]),
            fn=str(value["fn"]),
            started_after=None if after is None else float(after),
            started_before=float(value["started_before"]),
            if_expr=None if expr is None else str(expr),
            created_at=float(value["created_at"]),
            done=bool(value.get("done")),
            cancelled=int(value.get("cancelled") or 0),
        )


class CancellationJobs(_FeatureState):
    """Bulk cancellation jobs, kept (never expiring) so a restart resumes them."""

    PREFIX = "cancellation:"
    __slots__ = ()

    @classmethod
    def key(cls, job_id: str) -> str:
        return _key(cls.PREFIX, job_id)

    def save(self, conn: Connection, job: CancellationJob) -> None:
        self._db.flow_put(conn, self.key(job.id), job.to_json())

    def all(self, conn: Connection) -> list[CancellationJob]:
        """Every job kept, oldest first (ids are time-ordered)."""
        found = [CancellationJob.from_json(v) for _, v in self._db.flow_prefix(conn, self.PREFIX)]
        return sorted(found, key=lambda job: job.id)

    def remove(self, conn: Connection, job_id: str) -> bool:
        """Forget a job; False when there is none by that id."""
        key = self.key(job_id)
        if self._db.flow_get(conn, key) is None:
            return False
        self._db.flow_delete(conn, key)
        return True


__all__ = [
    "Batch",
    "BatchBuffers",
    "CancellationJob",
    "CancellationJobs",
    "CronSchedule",
    "CronTick",
    "Debounced",
    "Debounces",
    "IdempotencyMarks",
    "RateCells",
    "Singletons",
]
