"""The engine's own tables (prefix ``engine_``), created on start with create_all.

The engine keeps its schema apart from the application's migrations so it can run
alone (``harvester engine``) on any database. ``create_all`` adds missing tables, never
columns: a new column needs a new table or an upgrade step written for it.
Only ``sysdb`` (and its read side, ``history``) touches these tables.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

apps = Table(
    "engine_apps",
    metadata,
    Column("url", String(500), primary_key=True),
    Column("app_id", String(200), nullable=False),
    Column("synced_at", Float, nullable=False),
)

functions = Table(
    "engine_functions",
    metadata,
    Column("id", String(300), primary_key=True),
    Column("app_url", String(500), nullable=False),
    Column("name", String(300), nullable=False),
    Column("config", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
)

events = Table(
    "engine_events",
    metadata,
    Column("internal_id", String(40), primary_key=True),
    Column("id", String(200), nullable=False, unique=True),
    Column("name", String(300), nullable=False, index=True),
    Column("data", JSON, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("received_at", Float, nullable=False, index=True),
)

# Every reception of an event beyond its first (the SDK's resend of the same seeded
# request): the dev server stores each one, so /v1/events lists each one.
event_receipts = Table(
    "engine_event_receipts",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("internal_id", String(40), nullable=False, index=True),
    Column("received_at", Float, nullable=False, index=True),
)

runs = Table(
    "engine_runs",
    metadata,
    Column("run_id", String(40), primary_key=True),
    Column("fn_id", String(300), nullable=False),
    Column("event_id", String(40), nullable=True, index=True),
    Column("events", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempt", Integer, nullable=False, default=0),
    Column("steps", JSON, nullable=False),  # memo: hashed step id -> value
    Column("stack", JSON, nullable=False),
    Column("pending", JSON, nullable=False),  # planned steps, sleeps, waits, invokes in flight
    Column("parallel", Boolean, nullable=False, default=False),
    Column("parent", JSON, nullable=True),  # {run_id, step_id} of an invoking run
    Column("output", JSON, nullable=True),
    Column("error", JSON, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("started_at", Float, nullable=True),
    Column("ended_at", Float, nullable=True),
    Index("ix_engine_runs_fn_created", "fn_id", "created_at"),
    Index("ix_engine_runs_status_created", "status", "created_at"),
    Index("ix_engine_runs_created", "created_at"),
)

steps = Table(
    "engine_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), nullable=False, index=True),
    Column("step_id", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("op", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("ended_at", Float, nullable=False),
    Column("output", JSON, nullable=True),
    Column("error", JSON, nullable=True),
)

queue = Table(
    "engine_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), nullable=False, index=True),
    Column("fn_id", String(300), nullable=False),
    Column("kind", String(24), nullable=False),  # a records.QueueKind (8 kinds)
    Column("step_id", String(64), nullable=True),
    Column("concurrency", JSON, nullable=False),  # ["fn:<id>", "key:<id>:<value>", ...]
    Column("due_at", Float, nullable=False),
    Column("lease_owner", String(40), nullable=True),
    Column("lease_until", Float, nullable=True),
    Index("ix_engine_queue_due", "due_at"),
    # The due timers (every dispatcher pass looks for them): without it the read walked
    # every due row, a burst's thousand woken calls included, to find none.
    Index("ix_engine_queue_kind_due", "kind", "due_at"),
    sqlite_autoincrement=True,  # never hand a deleted item's id to a new one
)

waits = Table(
    "engine_waits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), nullable=False, index=True),
    Column("step_id", String(64), nullable=False),
    Column("event_name", String(300), nullable=False, index=True),
    Column("expression", Text, nullable=True),
    Column("expires_at", Float, nullable=False),
)

flow = Table(  # throttle GCRA state, cron schedule, idempotency keys, batch buffers
    "engine_flow",
    metadata,
    Column("key", String(500), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("expires_at", Float, nullable=True, index=True),
)
