"""A circuit breaker per endpoint with shared state (SQL table or Redis hash):
closed → open after N consecutive failures → half-open after a cool-down (one probe)
→ closed on success."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from prometheus_client import Counter, Gauge

from harvester.clock import PROCESS_CLOCK, unix_now
from harvester.guard.errors import CircuitOpen
from harvester.store import Database
from harvester.store.guard_state import BreakerPhase, BreakerRecord, GuardState

BREAKER_STATE = Gauge("harvester_breaker_state", "0 closed, 1 half-open, 2 open", ["endpoint"])
BREAKER_TRANSITIONS = Counter(
    "harvester_breaker_transitions_total", "Breaker transitions", ["endpoint", "to"]
)

State = BreakerPhase  # the breaker's phases, named by the store that keeps them

_GAUGE = {State.CLOSED: 0, State.HALF_OPEN: 1, State.OPEN: 2}


class StateStore(Protocol):
    def load(self, name: str) -> BreakerRecord | None:
        """The stored breaker of ``name``; None when none was ever saved."""
        ...

    def save(self, record: BreakerRecord) -> None: ...
    def names(self) -> list[str]: ...


class SqlStateStore:
    """Breakers in the SQL database (the store's ``GuardState``)."""

    def __init__(self, db: Database) -> None:
        self._state = GuardState(db)

    def load(self, name: str) -> BreakerRecord | None:
        return self._state.load_breaker(name)

    def save(self, record: BreakerRecord) -> None:
        self._state.save_breaker(record, unix_now())

    def names(self) -> list[str]:
        return self._state.breaker_names()


class RedisStateStore:
    """Breakers in Redis: one JSON value per endpoint."""

    def __init__(self, url: str, prefix: str = "harvester:breaker:") -> None:
        from harvester.guard.redis_client import connect

        self._redis: Any = connect(url)
        self._prefix = prefix

    def load(self, name: str) -> BreakerRecord | None:
        raw = self._redis.get(self._prefix + name)
        if raw is None:
            return None
        data = json.loads(raw)
        return BreakerRecord(name, State(data["state"]), data["failures"], data["opened_at"])

    def save(self, record: BreakerRecord) -> None:
        data = {
            "state": str(record.phase),
            "failures": record.failures,
            "opened_at": record.opened_at,
        }
        self._redis.set(self._prefix + record.name, json.dumps(data))

    def names(self) -> list[str]:
        return sorted(k.decode()[len(self._prefix) :] for k in self._redis.keys(self._prefix + "*"))


class CircuitBreaker:
    def __init__(
        self,
        store: StateStore,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = PROCESS_CLOCK.time,
    ) -> None:
        self.store = store
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock

    def _load(self, name: str) -> BreakerRecord:
        return self.store.load(name) or BreakerRecord(name)

    def _move(self, st: BreakerRecord, to: State, **changes: Any) -> None:
        if st.phase != to:
            BREAKER_TRANSITIONS.labels(st.name, str(to)).inc()
        BREAKER_STATE.labels(st.name).set(_GAUGE[to])
        self.store.save(replace(st, phase=to, **changes))

    def allow(self, name: str) -> None:
        """Raise CircuitOpen unless a call to ``name`` may go ahead now."""
        st = self._load(name)
        if st.phase is State.OPEN:
            elapsed = self._clock() - (st.opened_at or 0)
            if elapsed < self.cooldown:
                raise CircuitOpen(f"circuit for {name} is open", self.cooldown - elapsed)
            self._move(st, State.HALF_OPEN)

    def success(self, name: str) -> None:
        stored = self.store.load(name)
        if stored is None or stored.phase is not State.CLOSED or stored.failures:
            # Saved even when closed and new, so that ``states()`` lists the endpoint.
            self._move(stored or BreakerRecord(name), State.CLOSED, failures=0)
        else:
            BREAKER_STATE.labels(name).set(_GAUGE[State.CLOSED])

    def failure(self, name: str) -> None:
        st = self._load(name)
        failures = st.failures + 1
        if st.phase is State.HALF_OPEN or failures >= self.threshold:
            self._move(st, State.OPEN, failures=failures, opened_at=self._clock())
        else:
            self.store.save(replace(st, failures=failures))

    def states(self) -> dict[str, str]:
        """Every known endpoint's phase (``closed``, ``half_open``, ``open``)."""
        return {n: str(self._load(n).phase) for n in self.store.names()}
