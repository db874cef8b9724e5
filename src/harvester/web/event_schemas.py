"""The pipeline's own events checked against their payload models before they are sent
(from the dashboard's form and ``harvester send``): a bad payload is refused with the
reason instead of failing a run, filling a dead letter and raising an alert."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from harvester.engine import event_matches
from harvester.jobs.events import (
    DISCOVERY_REQUESTED,
    EXTRACT_REQUESTED,
    HARVEST_REQUESTED,
    KILL_SWITCH_OFF,
    KILL_SWITCH_ON,
    DiscoveryRequested,
    ExtractRequested,
    HarvestRequested,
    KillSwitchChange,
)

PAYLOADS: dict[str, type[BaseModel]] = {
    DISCOVERY_REQUESTED: DiscoveryRequested,
    HARVEST_REQUESTED: HarvestRequested,
    EXTRACT_REQUESTED: ExtractRequested,
    KILL_SWITCH_ON: KillSwitchChange,
    KILL_SWITCH_OFF: KillSwitchChange,
}


def data_problem(name: str, data: Any) -> str | None:
    """Why ``data`` does not fit the payload of event ``name`` (None: it fits, or the
    event is not one of ours)."""
    model = PAYLOADS.get(name.strip())
    if model is None:
        return None
    try:
        model.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'data'}: {e['msg']}" for e in exc.errors()
        )
        return f"data does not fit {name}: {reasons}"
    return None


def listeners(name: str, functions: list[dict[str, Any]]) -> list[str]:
    """Ids of the functions an event named ``name`` triggers (configs as synced)."""
    return [
        str(f["id"])
        for f in functions
        if any(
            t.get("event") and event_matches(t["event"], name)
            for t in (f.get("config") or {}).get("triggers", [])
        )
    ]
