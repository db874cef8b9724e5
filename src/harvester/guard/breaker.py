"""A circuit breaker per endpoint with shared state (SQL table or Redis hash):
closed → open after N consecutive failures → half-open after a cool-down (one probe)
→ closed on success."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from typing import Any, Protocol

from prometheus_client import Counter, Gauge

from harvester.clock import PROCESS_CLOCK, unix_now
from harvester.guard.errors import CircuitOpen
from harvester.store import Database
from harvester.store.models import BreakerState
from harvester.store.upsert import insert_for

BREAKER_STATE = Gauge("harvester_breaker_state", "0 closed, 1 half-open, 2 open", ["endpoint"])
BREAKER_TRANSITIONS = Counter(
    "harvester_breaker_transitions_total", "Breaker transitions", ["endpoint", "to"]
)


class State(enum.StrEnum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"


_GAUGE = {State.CLOSED: 0, State.HALF_OPEN: 1, State.OPEN: 2}


class StateStore(Protocol):
    def load(self, name: str) -> dict[str, Any]: ...
    def save(self, name: str, state: dict[str, Any]) -> None: ...
    def names(self) -> list[str]: ...


class SqlStateStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self, name: str) -> dict[str, Any]:
        with self._db.session() as s:
            row = s.get(BreakerState, name)
            if row is None:
                return {"state": State.CLOSED, "failures": 0, "opened_at": None}
            return {"state": State(row.state), "failures": row.failures, "opened_at": row.opened_at}

    def save(self, name: str, state: dict[str, Any]) -> None:
        values = {
            "state": str(state["state"]),
            "failures": state["failures"],
            "opened_at": state["opened_at"],
            "updated_at": unix_now(),
        }
        with self._db.session() as s:
            stmt = insert_for(s, BreakerState.__table__).values(name=name, **values)
            s.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))

    def names(self) -> list[str]:
        with self._db.session() as s:
            return [r.name for r in s.query(BreakerState).all()]


class RedisStateStore:
    def __init__(self, url: str, prefix: str = "harvester:breaker:") -> None:
        from harvester.guard.redis_client import connect

        self._redis: Any = connect(url)
        self._prefix = prefix

    def load(self, name: str) -> dict[str, Any]:
        raw = self._redis.get(self._prefix + name)
        if raw is None:
            return {"state": State.CLOSED, "failures": 0, "opened_at": None}
        data = json.loads(raw)
        return {**data, "state": State(data["state"]), "known": True}

    def save(self, name: str, state: dict[str, Any]) -> None:
        data = {k: v for k, v in state.items() if k != "known"}
        self._redis.set(self._prefix + name, json.dumps({**data, "state": str(state["state"])}))

    def names(self) -> list[str]:
        return [k.decode()[len(self._prefix) :] for k in self._redis.keys(self._prefix + "*")]


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

    def _move(self, name: str, st: dict[str, Any], to: State) -> None:
        if st["state"] != to:
            BREAKER_TRANSITIONS.labels(name, str(to)).inc()
        st["state"] = to
        BREAKER_STATE.labels(name).set(_GAUGE[to])
        self.store.save(name, st)

    def allow(self, name: str) -> None:
        """Raise CircuitOpen unless a call to ``name`` may go ahead now."""
        st = self.store.load(name)
        if st["state"] is State.OPEN:
            elapsed = self._clock() - (st["opened_at"] or 0)
            if elapsed < self.cooldown:
                raise CircuitOpen(f"circuit for {name} is open", self.cooldown - elapsed)
            self._move(name, st, State.HALF_OPEN)

    def success(self, name: str) -> None:
        st = self.store.load(name)
        if st["state"] is not State.CLOSED or st["failures"] or "known" not in st:
            st["failures"] = 0
            self._move(name, st, State.CLOSED)

    def failure(self, name: str) -> None:
        st = self.store.load(name)
        st["failures"] += 1
        if st["state"] is State.HALF_OPEN or st["failures"] >= self.threshold:
            st["opened_at"] = self._clock()
            self._move(name, st, State.OPEN)
        else:
            self.store.save(name, st)

    def states(self) -> dict[str, str]:
        return {n: str(self.store.load(n)["state"]) for n in self.store.names()}
