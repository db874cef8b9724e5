"""System functions: the kill switch (events on/off) and the failure handler that turns
every failed run into a dead letter and an alert."""

from __future__ import annotations

from typing import Any

import inngest

from harvester.jobs.client import APP_ID
from harvester.jobs.deps import JobDeps
from harvester.jobs.events import FUNCTION_FAILED, KILL_SWITCH_OFF, KILL_SWITCH_ON, KillSwitchChange
from harvester.store.job_runs import add_dead_letter, set_job_status
from harvester.store.states import JobState, Severity

KILL_SWITCH_FN = "kill-switch"
FAILURE_FN = "failure-handler"
# Attempts per function (retries + 1) for the dead-letter record.
ATTEMPTS = {
    "discover-videos": 4,
    "harvest-comments": 4,
    "extract-domains": 4,
    "resolve-links": 4,
    "enrich-dns": 4,
    "enrich-rdap": 4,
    "enrich-http": 4,
    "refresh-domain-intel": 3,
    "cleanup": 3,
    "health-check": 2,
}


async def apply_kill_switch(deps: JobDeps, on: bool, change: KillSwitchChange) -> dict[str, Any]:
    if on:
        await deps.guard.kill_switch.turn_on(change.reason or "no reason given", change.by)
        await deps.alerts.raise_alert(
            "kill-switch:on",
            Severity.WARNING,
            f"kill switch ON by {change.by}: {change.reason or 'no reason given'}",
        )
    else:
        await deps.guard.kill_switch.turn_off(change.by)
    return {"on": on, "by": change.by}


def short_fn_id(function_id: str) -> str:
    """``tiktok-harvester-harvest-comments`` → ``harvest-comments``."""
    return function_id.removeprefix(f"{APP_ID}-")


async def record_failure(deps: JobDeps, data: dict[str, Any]) -> dict[str, Any]:
    fn_id = short_fn_id(str(data.get("function_id", "unknown")))
    run_id = str(data.get("run_id", ""))
    error = dict(data.get("error") or {})
    event = dict(data.get("event") or {})
    with deps.db.session() as s:
        add_dead_letter(s, fn_id, run_id, event, error, ATTEMPTS.get(fn_id, 1))
        set_job_status(s, run_id, fn_id, JobState.FAILED, None, {"error": error})
    await deps.alerts.raise_alert(
        f"failed:{fn_id}",
        Severity.CRITICAL,
        f"{fn_id} run {run_id} failed: {error.get('message', error)}",
        {"run_id": run_id, "function_id": fn_id},
    )
    return {"dead_letter_for": run_id}


def build(client: inngest.Inngest, deps: JobDeps) -> list[inngest.Function[Any]]:
    @client.create_function(
        fn_id=KILL_SWITCH_FN,
        name="Kill switch",
        retries=5,
        trigger=[
            inngest.TriggerEvent(event=KILL_SWITCH_ON),
            inngest.TriggerEvent(event=KILL_SWITCH_OFF),
        ],
    )
    async def kill_switch(ctx: inngest.Context) -> dict[str, Any]:
        change = KillSwitchChange.model_validate(dict(ctx.event.data))
        on = ctx.event.name == KILL_SWITCH_ON
        result: dict[str, Any] = await ctx.step.run(
            "apply", lambda: apply_kill_switch(deps, on, change)
        )
        return result

    @client.create_function(
        fn_id=FAILURE_FN,
        name="Failure handler (dead letters)",
        retries=5,
        # Its own failures must not feed back into itself.
        trigger=inngest.TriggerEvent(
            event=FUNCTION_FAILED,
            expression=f"event.data.function_id != '{APP_ID}-{FAILURE_FN}'",
        ),
    )
    async def failure_handler(ctx: inngest.Context) -> dict[str, Any]:
        data = dict(ctx.event.data)
        result: dict[str, Any] = await ctx.step.run(
            "dead-letter", lambda: record_failure(deps, data)
        )
        return result

    return [kill_switch, failure_handler]
