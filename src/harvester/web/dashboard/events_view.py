"""What the events page adds to the engine's event list: the runs that took an event in
a batch (they record no single triggering event, so the plain list said "none"). A read
over the engine's tables as they are today, to move behind the engine's facade."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from harvester.engine import schema
from harvester.engine.queries import SHARED_RUNS_SCAN
from harvester.engine.store import Store


def with_batched_runs(store: Store, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``events`` with ``runs`` filled in for those a batched or debounced run took."""
    lonely = {e["id"]: e for e in events if not e["runs"]}
    if not lonely:
        return events
    since = min(e["received_at"] for e in lonely.values())
    runs = schema.runs
    query = (
        sa.select(runs.c.run_id, runs.c.fn_id, runs.c.status, runs.c.events)
        .where(runs.c.event_id.is_(None), runs.c.created_at >= since)
        .order_by(runs.c.created_at)
        .limit(SHARED_RUNS_SCAN)
    )
    with store.engine.connect() as conn:
        for run_id, fn_id, status, taken in conn.execute(query):
            for ev in taken or []:
                event = lonely.get(ev.get("id"))
                if event is not None:
                    event["runs"].append({"run_id": run_id, "fn_id": fn_id, "status": status})
    return events
