"""Engine configuration and the states a run goes through."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field

from harvester.engine.clock import wall

DEFAULT_RETRIES = 4  # Inngest's default when a function sets none: 5 attempts.
MAX_BODY_BYTES = 512 * 1024  # our own JSON API's request limit (413 above it)
# The event API (POST /e/{key}) takes batches of several MiB, as the dev server does;
# the SDK's own batching sends up to 8 MiB in one request. One event stays bounded.
MAX_EVENT_REQUEST_BYTES = 16 * 1024 * 1024
MAX_EVENT_BYTES = 3 * 1024 * 1024  # the dev server's absolute limit for one event
INLINE_STATE_BYTES = 4 * 1024 * 1024


class RunStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    SKIPPED = "SKIPPED"  # rate limit or singleton: recorded, never run


TERMINAL = frozenset(
    {RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.SKIPPED}
)


@dataclass
class EngineConfig:
    """Everything the engine needs; it reads no environment of its own."""

    database_url: str = "sqlite:///data/engine.db"
    host: str = "127.0.0.1"
    port: int = 8288
    dev: bool = True
    signing_key: str | None = None
    event_key: str | None = None
    workers: int = 8
    retry_base_delay: float = 1.0  # first retry after ~this, doubling, capped below
    retry_max_delay: float = 3600.0
    lease_seconds: float = 60.0
    poll_interval: float = 0.25  # timers and other processes' work
    request_timeout: float = 300.0
    max_body_bytes: int = MAX_BODY_BYTES
    max_event_request_bytes: int = MAX_EVENT_REQUEST_BYTES  # POST /e/: 413 above it
    max_event_bytes: int = MAX_EVENT_BYTES  # one event in it: 413 above it
    # A call whose state (events and memoized steps) is larger goes with use_api: true
    # and without the state; the SDK fetches it from /v0/runs/{id}/actions and /batch.
    inline_state_bytes: int = INLINE_STATE_BYTES
    body_timeout: float = 10.0  # a request body must arrive within this (slowloris: 408)
    history_days: float = 14.0
    # Start cron-triggered runs. Off where a run must not be joined by a scheduled one
    # (tests that wait for the engine to go idle across a */10 boundary).
    fire_crons: bool = True
    # At start: freeze what the process built so far out of the garbage collector's
    # reach and collect young objects less often (engine/gctune.py).
    tune_gc: bool = True
    # Take calls of functions with a concurrency limit. Slots are counted in this
    # process's memory, so of the processes of one `harvester up` / `engine` only the
    # main one takes them (the others run every other call); see docs/engine.md.
    limited_calls: bool = True
    clock: Callable[[], float] = field(default=wall)
    # Who may write (docs/security.md). Browser pages of these origins may post to the
    # engine; a request any other page's browser sends is refused (403).
    allowed_origins: tuple[str, ...] = ()
    # Take POST /fn/register from anyone who can reach the engine (the dev server's way,
    # and `harvester engine`'s). Off, only this engine's own syncs and, with a signing
    # key, signed ones are taken: `harvester up` turns it off (it syncs in process).
    open_registration: bool = True
    # Hosts, names or CIDR networks app URLs may point at beyond loopback.
    app_hosts: tuple[str, ...] = ()
