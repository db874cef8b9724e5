"""What the system database hands out: typed records of runs, steps, events and the
queue. ``to_json`` gives the JSON the run API and the CLI print."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from typing import Any

from harvester.engine.config import TERMINAL, RunStatus
from harvester.engine.triggers import FunctionSpec


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


TIMER_KINDS = frozenset(
    {
        QueueKind.WAKE,
        QueueKind.WAIT_TIMEOUT,
        QueueKind.INVOKE_TIMEOUT,
        QueueKind.FINISH_TIMEOUT,
        QueueKind.START_TIMEOUT,
    }
)


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
