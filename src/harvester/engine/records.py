"""What the system database hands out: typed records of runs, steps, events and the
queue. The read side (``RunRecord`` … ``QueueStats``) has ``to_json``, the JSON the run
API and the CLI print; the write path works on ``LiveRun``, ``DueItem`` and ``Wait``."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any, TypeVar, dataclass_transform

from harvester.engine.config import TERMINAL, RunStatus
from harvester.engine.triggers import FunctionSpec

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True)
def _write_record(cls: type[_T]) -> type[_T]:
    """A record of the write path: frozen to the type checker (no field is assigned
    after construction: a new state is a new record), a plain slotted dataclass at run
    time, built a few times per step (a frozen one's __init__ costs about 7 times more)."""
    return dataclass(slots=True)(cls)


class QueueKind(enum.StrEnum):
    """What a queue item asks for when it falls due."""

    CALL = "call"  # call the SDK app for the run's next step
    WAKE = "wake"  # a step.sleep ended
    WAIT_TIMEOUT = "wait_timeout"  # a step.wait_for_event gave up
    INVOKE_TIMEOUT = "invoke_timeout"  # a step.invoke gave up on its child run
    FINISH_TIMEOUT = "finish_timeout"  # timeouts.finish: cancel the run
    START_TIMEOUT = "start_timeout"  # timeouts.start: cancel the run if not started
    BATCH_FLUSH = "batch_flush"  # batchEvents.timeout: start a run with the buffer
    DEBOUNCE_FIRE = "debounce_fire"  # debounce.period passed: start the last event's run


Slots = list[list[Any]]  # a call's concurrency slots: [[concurrency key, limit], ...]

TIMER_KINDS = frozenset(
    {
        QueueKind.WAKE,
        QueueKind.WAIT_TIMEOUT,
        QueueKind.INVOKE_TIMEOUT,
        QueueKind.FINISH_TIMEOUT,
        QueueKind.START_TIMEOUT,
    }
)


@_write_record
class LiveRun:
    """A run as the write path reads it: one ``engine_runs`` row, its JSON decoded, its
    fields in the table's column order (``sysdb`` builds it positionally from the row).
    Never changed in place: a new state is a new record (``advanced``)."""

    run_id: str
    fn_id: str
    event_id: str | None  # the triggering event's internal id
    events: list[dict[str, Any]]
    status: RunStatus
    attempt: int
    steps: dict[str, Any]  # memo: hashed step id -> {"data": ...} or {"error": ...}
    stack: list[str]
    pending: list[str]  # planned steps, sleeps, waits, invokes in flight
    parallel: bool
    parent: dict[str, Any] | None  # {run_id, step_id} of the run that invoked this one
    output: Any
    error: dict[str, Any] | None
    created_at: float
    started_at: float | None
    ended_at: float | None

    def advanced(
        self,
        *,
        steps: dict[str, Any],
        stack: list[str],
        pending: list[str],
        attempt: int,
        parallel: bool,
        status: RunStatus | None = None,
    ) -> LiveRun:
        """The run with a new memo (what ``SystemDatabase.save_progress`` writes)."""
        return LiveRun(
            self.run_id,
            self.fn_id,
            self.event_id,
            self.events,
            self.status if status is None else status,
            attempt,
            steps,
            stack,
            pending,
            parallel,
            self.parent,
            self.output,
            self.error,
            self.created_at,
            self.started_at,
            self.ended_at,
        )


@_write_record
class DueItem:
    """A queue item as the engine takes it: read when due, leased (``lease_until``
    set once this process holds it), then done, or re-targeted at the run's next call."""

    id: int
    run_id: str  # for a batch flush or a debounce: its flow key
    fn_id: str
    kind: QueueKind
    step_id: str | None
    due_at: float
    lease_until: float | None
    concurrency: Slots

    def leased(self, until: float) -> DueItem:
        """The item as held by us until ``until``."""
        return DueItem(
            self.id,
            self.run_id,
            self.fn_id,
            self.kind,
            self.step_id,
            self.due_at,
            until,
            self.concurrency,
        )

    def retargeted(self, step_id: str | None, due_at: float, until: float, slots: Slots) -> DueItem:
        """The item turned into the run's next call, still held (``Carry``)."""
        return DueItem(
            self.id, self.run_id, self.fn_id, QueueKind.CALL, step_id, due_at, until, slots
        )


@_write_record
class Wait:
    """A ``step.wait_for_event`` in flight: the event it waits for, until when."""

    run_id: str
    step_id: str
    event_name: str
    expression: str | None  # CEL over ``event`` (the run's) and ``async`` (the new one)
    expires_at: float


class _Json:
    def to_json(self) -> dict[str, Any]:
        """The record as plain JSON types (the shape of the run API)."""
        return dataclasses.asdict(self)  # type: ignore[call-overload,no-any-return]


@dataclass(frozen=True)
class RunSummary(_Json):
    """One run in a list: who, what state, when."""

    run_id: str
    fn_id: str
    status: RunStatus
    event_name: str | None
    created_at: float
    started_at: float | None
    ended_at: float | None
    duration: float | None
    attempt: int

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class StepRecord(_Json):
    """One step attempt as recorded when its call returned."""

    id: int
    run_id: str
    step_id: str
    name: str
    op: str
    attempt: int
    started_at: float
    ended_at: float
    output: Any
    error: dict[str, Any] | None
    duration: float


@dataclass(frozen=True)
class RunRecord(RunSummary):
    """One run in full: its event(s), output or error, and step timeline."""

    event: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    output: Any = None
    error: dict[str, Any] | None = None
    parent: dict[str, Any] | None = None
    steps: list[StepRecord] = field(default_factory=list)


@dataclass(frozen=True)
class RunPage(_Json):
    """A page of runs, newest first; pass ``next_cursor`` back for the next."""

    data: list[RunSummary]
    next_cursor: str | None


@dataclass(frozen=True)
class EventRun(_Json):
    run_id: str
    fn_id: str
    status: RunStatus


@dataclass(frozen=True)
class EventRecord(_Json):
    """A stored event and the runs that name it as their trigger."""

    internal_id: str
    id: str
    name: str
    data: dict[str, Any]
    ts: int
    received_at: float
    runs: list[EventRun] = field(default_factory=list)


@dataclass(frozen=True)
class FunctionRecord(_Json):
    """A synced function with its config and run counts by status."""

    id: str
    name: str
    config: dict[str, Any]
    runs: dict[str, int]

    @property
    def _spec(self) -> FunctionSpec:
        return FunctionSpec(self.id, self.name, self.url, self.config)

    @property
    def url(self) -> str:
        return str(self.config["steps"]["step"]["runtime"]["url"])

    @property
    def max_attempts(self) -> int:
        return self._spec.max_attempts

    @property
    def triggers(self) -> list[dict[str, Any]]:
        return self._spec.triggers


@dataclass(frozen=True)
class QueueItem(_Json):
    """One queued item: what falls due when, for which run."""

    id: int
    run_id: str
    fn_id: str
    kind: QueueKind
    step_id: str | None
    due_at: float
    leased: bool


@dataclass(frozen=True)
class QueueStats(_Json):
    due: int
    queued: int
    lag_seconds: float


@dataclass(frozen=True)
class FunctionBucket(_Json):
    """One time bucket of a function's finished runs: throughput, failures, latency."""

    start: float  # epoch seconds, the bucket's start
    completed: int
    failed: int
    cancelled: int
    p50_seconds: float | None  # run duration (first call to end), median
    p95_seconds: float | None
    queued_p95_seconds: float | None  # creation to first call, 95th percentile
