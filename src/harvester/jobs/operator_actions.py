"""Operator actions shared by the dashboard, the JSON API and the CLI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from harvester.clock import unix_now
from harvester.guard import Guard
from harvester.jobs.events import KILL_SWITCH_OFF, KILL_SWITCH_ON
from harvester.store import Database
from harvester.store.job_runs import dead_letters_to_replay, mark_dead_letters_replayed

SendEvents = Callable[[list[dict[str, Any]]], Awaitable[list[str]]]


class OperatorRuntime(Protocol):
    db: Database
    guard: Guard

    async def send_events(self, events: list[dict[str, Any]]) -> list[str]: ...


async def replay_dead_letters(runtime: OperatorRuntime, ids: Sequence[int] | None) -> int:
    """Re-send the original events of dead letters (the given ids, or all pending).

    The replayed event gets a fresh id (a repeated id would be deduplicated) and keeps
    a pointer to the dead letter it came from.
    """
    with runtime.db.session() as s:
        letters = [(dl.id, dict(dl.event)) for dl in dead_letters_to_replay(s, ids)]
    events = []
    for dl_id, event in letters:
        if not event.get("name"):
            continue
        data = dict(event.get("data") or {})
        events.append(
            {
                "name": event["name"],
                "data": data,
                "id": f"replay-{dl_id}-{event.get('id', '')}-{_stamp()}",
            }
        )
    if events:
        await runtime.send_events(events)
        with runtime.db.session() as s:
            mark_dead_letters_replayed(s, [dl_id for dl_id, _ in letters])
    return len(events)


async def set_kill_switch(runtime: OperatorRuntime, on: bool, reason: str, by: str) -> None:
    """Flip the kill switch now (every step checks it before calling TikTok), then send
    the event: it records the change and wakes the runs paused by the switch."""
    if on:
        await runtime.guard.kill_switch.turn_on(reason, by)
    else:
        await runtime.guard.kill_switch.turn_off(by)
    await runtime.send_events(
        [{"name": KILL_SWITCH_ON if on else KILL_SWITCH_OFF, "data": {"reason": reason, "by": by}}]
    )


def _stamp() -> str:
    return str(int(unix_now() * 1e9))
