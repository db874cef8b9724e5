"""The run API refuses what the UI and CLI refuse: an unknown status (422 naming the
allowed ones), a function no synced id or unique tail names (422 listing them; the tail,
``harvest-comments``, is taken as the CLI's ``--fn`` takes it), and our own events with a
payload that does not fit (422 with the schema error) — which used to start a run bound
to fail, an alert and a dead letter whose replay could only fail again."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from harvester.engine import Engine, RunStatus
from harvester.web.event_schemas import data_problem

STATUSES = tuple(s.value for s in RunStatus)


def run_status(status: str | None) -> str | None:
    """``status`` in upper case, or a 422 naming the allowed values."""
    if status is None or status == "":
        return None
    if status.upper() not in STATUSES:
        raise HTTPException(422, f"status {status!r} is not one of {', '.join(STATUSES)}")
    return status.upper()


def function_id(engine: Engine, fn: str | None) -> str | None:
    """The synced function ``fn`` names (its id, or a unique tail after a ``-``), or a 422
    listing the synced ids."""
    if fn is None or fn == "":
        return None
    known = [f.id for f in engine.list_functions()]
    if fn in known:
        return fn
    tails = [k for k in known if k.endswith("-" + fn)]
    if len(tails) == 1:
        return tails[0]
    listing = ", ".join(sorted(known)) or "none synced yet"
    what = "names more than one" if tails else "is no synced function"
    raise HTTPException(422, f"fn {fn!r} {what}: use one of {listing}")


def check_our_events(events: list[dict[str, Any]]) -> None:
    """A 422 for the first of our own events whose data does not fit its schema (other
    events pass: they are not ours to judge)."""
    for i, event in enumerate(events):
        problem = data_problem(str(event.get("name", "")), event.get("data", {}))
        if problem:
            where = f"event[{i}]: " if len(events) > 1 else ""
            raise HTTPException(422, f"{where}{problem}")
