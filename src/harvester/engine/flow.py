"""Flow control at run creation: concurrency slots, throttle and rate limit (GCRA),
batching, debounce, idempotency, priority, singleton. ``concurrency_slots``,
``priority_shift`` and ``singleton_key`` are pure; the others decide from each
feature's state (``flow_state``), read and written in the caller's transaction;
``gcra`` is the maths."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from harvester.engine.config import TERMINAL
from harvester.engine.durations import parse_duration
from harvester.engine.flow_state import (
    BatchBuffers,
    Debounces,
    IdempotencyMarks,
    RateCells,
    Singletons,
)
from harvester.engine.sysdb import SystemDatabase
from harvester.engine.triggers import FunctionSpec, evaluate_value

US = 1_000_000  # GCRA counts in whole microseconds


def gcra(tat: float, now: float, period: float, limit: int, burst: int) -> tuple[float, float]:
    """Generic cell rate algorithm: ``limit`` requests per ``period``, ``burst`` of them
    at once. For a request at ``now`` with the key's theoretical arrival time ``tat``,
    returns (earliest start, the key's next ``tat``); the start is ``now`` when it may
    start at once.

    In whole microseconds, with the spacing rounded up: float sums of period/limit
    drift, and drifting down would fit an extra request into a period."""
    step = -(-round(period * US) // limit)
    now_us, tat_us = round(now * US), round(tat * US)
    start_us = max(now_us, tat_us - (burst - 1) * step)
    next_us = max(tat_us, start_us) + step
    return (now if start_us <= now_us else start_us / US), next_us / US


def _key_value(expr: str | None, event: dict[str, Any]) -> str:
    if not expr:
        return ""
    return str(evaluate_value(expr, {"event": event}))


def concurrency_slots(fn: FunctionSpec, event: dict[str, Any]) -> list[list[Any]]:
    """``[[slot key, limit], ...]``: a call may run only while each slot has room."""
    slots = []
    for i, c in enumerate(fn.config.get("concurrency") or []):
        scope = c.get("scope") or "fn"
        owner = fn.id if scope == "fn" else scope
        slots.append([f"{owner}:{i}:{_key_value(c.get('key'), event)}", int(c["limit"])])
    return slots


def throttle_start(
    db: SystemDatabase, conn: Connection, fn: FunctionSpec, event: dict[str, Any], now: float
) -> float:
    """GCRA: when this run may start; delays, never drops (state per throttle key)."""
    th = fn.config.get("throttle")
    if not th:
        return now
    period, limit = parse_duration(th["period"]), int(th["limit"])
    burst = int(th.get("burst") or 1)
    cells = RateCells(db)
    key = cells.throttle_key(fn.id, _key_value(th.get("key"), event))
    start, nxt = gcra(cells.tat(conn, key) or now, now, period, limit, burst)
    cells.set_tat(conn, key, nxt)
    return start


def idempotency_seen(
    db: SystemDatabase, conn: Connection, fn: FunctionSpec, event: dict[str, Any], now: float
) -> bool:
    """True when a run already started for this function's idempotency key (24 h)."""
    expr = fn.config.get("idempotency")
    if not expr:
        return False
    marks = IdempotencyMarks(db)
    return marks.seen(conn, marks.key(fn.id, _key_value(expr, event)), now)


def batch_add(
    db: SystemDatabase, conn: Connection, fn: FunctionSpec, event: dict[str, Any], now: float
) -> tuple[str, list[dict[str, Any]] | None, float]:
    """Buffer an event; returns (batch key, events when the batch is full, flush time)."""
    cfg = fn.config["batchEvents"]
    key = BatchBuffers.key(fn.id, _key_value(cfg.get("key"), event))
    batch, full = BatchBuffers(db).add(conn, key, event, now, int(cfg["maxSize"]))
    flush_at = batch.opened + parse_duration(cfg.get("timeout") or "1s")
    return key, (batch.events if full else None), flush_at


PRIORITY_LIMIT_S = 600.0


def rate_limited(
    db: SystemDatabase, conn: Connection, fn: FunctionSpec, event: dict[str, Any], now: float
) -> bool:
    """True when this run must be skipped: ``limit`` starts per ``period`` per key
    (GCRA with a burst of ``limit``: excess is dropped, not delayed)."""
    rl = fn.config.get("rateLimit")
    if not rl:
        return False
    limit = int(rl["limit"])
    cells = RateCells(db)
    key = cells.rate_limit_key(fn.id, _key_value(rl.get("key"), event))
    tat = cells.tat(conn, key) or now
    start, nxt = gcra(tat, now, parse_duration(rl["period"]), limit, burst=limit)
    if start > now:
        return True
    cells.set_tat(conn, key, nxt)
    return False


@dataclass
class Admission:
    """What flow control says of a new run: start nothing (a ``duplicate``), record it
    as skipped (``skip`` says why), or queue its first call at ``due`` holding
    ``slots``; a singleton's newcomer ``replaces`` the active run (cancel it first)
    and points the key ``singleton`` at itself."""

    duplicate: bool = False
    skip: str | None = None
    replaces: str | None = None
    singleton: str | None = None
    due: float = 0.0
    slots: list[list[Any]] = field(default_factory=list)


def admit(
    db: SystemDatabase, conn: Connection, fn: FunctionSpec, event: dict[str, Any], now: float
) -> Admission:
    """Every start-time flow control of ``fn`` for ``event``, in Inngest's order:
    idempotency, rate limit, singleton, throttle, priority, concurrency."""
    if idempotency_seen(db, conn, fn, event, now):
        return Admission(duplicate=True)
    if rate_limited(db, conn, fn, event, now):
        return Admission(skip="rate limit reached: event skipped")
    key, replaces = singleton_key(fn, event), None
    active = Singletons(db).holder(conn, key) if key else None
    if active:
        run = db.read_run(conn, active, lock=True)
        if run is not None and run.status not in TERMINAL:
            if fn.config["singleton"]["mode"] == "skip":
                return Admission(skip=f"singleton: run {active} is still active")
            replaces = active
    due = throttle_start(db, conn, fn, event, now) - priority_shift(fn, event)
    return Admission(replaces=replaces, singleton=key, due=due, slots=concurrency_slots(fn, event))


def priority_shift(fn: FunctionSpec, event: dict[str, Any]) -> float:
    """Seconds of advantage from ``priority.run`` (clamped to ±600): the call is queued
    as if it had arrived that much earlier."""
    pr = fn.config.get("priority")
    if not pr:
        return 0.0
    try:
        value = float(evaluate_value(pr["run"], {"event": event}) or 0)
    except (TypeError, ValueError):
        return 0.0
    return max(-PRIORITY_LIMIT_S, min(PRIORITY_LIMIT_S, value))


def singleton_key(fn: FunctionSpec, event: dict[str, Any]) -> str | None:
    sg = fn.config.get("singleton")
    return Singletons.key(fn.id, _key_value(sg.get("key"), event)) if sg else None


def debounce_push(
    db: SystemDatabase, conn: Connection, fn: FunctionSpec, event: dict[str, Any], now: float
) -> tuple[str, float]:
    """Keep the latest event for the key and push its firing time; returns (key, due)."""
    cfg = fn.config["debounce"]
    key = Debounces.key(fn.id, _key_value(cfg.get("key"), event))
    timeout = cfg.get("timeout")
    period = parse_duration(cfg["period"])
    limit = None if timeout is None else parse_duration(timeout)
    return key, Debounces(db).push(conn, key, event, now, period, limit).due
