"""Step helpers shared by the functions: job-status tracking and kill-switch pauses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import inngest
import pydantic
import structlog

from harvester.clock import monotonic
from harvester.jobs.calls import Paused
from harvester.jobs.deps import JobDeps
from harvester.jobs.events import KILL_SWITCH_OFF
from harvester.jobs.metrics import STEP_SECONDS
from harvester.store.job_runs import set_job_status
from harvester.store.states import JobState

log = structlog.get_logger(__name__)

_P = TypeVar("_P", bound=pydantic.BaseModel)

PAUSE_CHECK = timedelta(minutes=5)
MAX_PAUSES = 288  # a day of five-minute checks, then the run fails into the dead letters


def event_payload(data: Any, model: type[_P], event_name: str) -> _P:
    """An event's ``data`` validated as ``model``; bad data fails the run at once
    (no retry can fix it), saying which event and why."""
    try:
        return model.model_validate(dict(data))
    except pydantic.ValidationError as exc:
        raise inngest.NonRetriableError(f"invalid {event_name} data: {exc}") from exc


@dataclass(frozen=True)
class RunScope:
    """One run of a function, built once at the top of its handler: the dependencies,
    the SDK's context and the function's id, so a helper takes one argument where it
    took three threaded through every call."""

    deps: JobDeps
    ctx: inngest.Context
    fn: str

    def track(
        self,
        step: str,
        state: JobState = JobState.RUNNING,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record what the run is doing now (one row per run, upserted)."""
        with self.deps.db.session() as s:
            set_job_status(s, self.ctx.run_id, self.fn, state, step, detail)

    async def step(self, step_id: str, handler: Callable[[], Awaitable[Any]]) -> Any:
        """``step.run`` that logs with the run id, times the step and updates the job
        status."""
        ctx, fn = self.ctx, self.fn

        async def run() -> Any:
            structlog.contextvars.bind_contextvars(run_id=ctx.run_id, fn_id=fn, step_id=step_id)
            started = monotonic()
            try:
                self.track(step_id)
                result = await handler()
                log.debug("step completed", attempt=ctx.attempt)
                return result
            finally:
                STEP_SECONDS.labels(fn, step_id.split(":")[0].rstrip("0123456789-")).observe(
                    monotonic() - started
                )
                structlog.contextvars.unbind_contextvars("run_id", "fn_id", "step_id")

        return await ctx.step.run(step_id, run)

    async def tiktok_step(self, step_id: str, handler: Callable[[], Awaitable[Any]]) -> Any:
        """A step that calls TikTok: when the kill switch is on, wait durably for it to
        go off (re-checking every few minutes) and then run the step again under a new
        id."""

        async def guarded() -> dict[str, Any]:
            try:
                return {"ok": await handler()}
            except Paused as exc:
                self.track(step_id, JobState.RUNNING, {"paused": str(exc)})
                return {"paused": str(exc)}

        for n in range(MAX_PAUSES):
            sid = step_id if n == 0 else f"{step_id}:resume-{n}"
            out = await self.step(sid, guarded)
            if "ok" in out:
                return out["ok"]
            await self.ctx.step.wait_for_event(
                f"{sid}:wait", event=KILL_SWITCH_OFF, timeout=PAUSE_CHECK
            )
        raise inngest.NonRetriableError(
            f"{self.fn}: the kill switch stayed on for a day; replay the dead letter once it is off"
        )
