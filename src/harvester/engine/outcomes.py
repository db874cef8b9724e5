"""Acting on what an SDK call returned: memoize steps, plan parallel ones, schedule
sleeps, waits and invokes, retry or fail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harvester.engine.config import EngineConfig, RunStatus
from harvester.engine.durations import parse_duration
from harvester.engine.executor import CallOutcome
from harvester.engine.records import LiveRun, QueueKind, Wait
from harvester.engine.runs import INVOKED_EVENT, RunBook, backoff, standard_error
from harvester.engine.sysdb import SystemDatabase, new_id
from harvester.engine.triggers import FunctionSpec
from harvester.engine.work import UnitOfWork

KNOWN_OPS = frozenset(
    {"StepRun", "StepFailed", "StepError", "StepPlanned", "Sleep", "WaitForEvent", "InvokeFunction"}
)


def _iso(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


@dataclass
class _Progress:
    """A run's memo as one call's ops advance it."""

    steps: dict[str, Any]
    stack: list[str]
    pending: list[str]
    attempt: int
    parallel: bool = False
    advance: bool = False  # a step got its result: call the run again
    no_retry: bool = False  # the reply said X-Inngest-No-Retry: true
    retry_at: float | None = None  # the reply's Retry-After

    def memoize(self, sid: str, memo: dict[str, Any]) -> None:
        self.steps[sid] = memo
        self.stack.append(sid)
        self.attempt, self.advance = 0, True


class OutcomeHandler:
    """Applies one SDK call's outcome to its run, in the caller's unit of work: writes
    steps, timers and waits to ``db``, starts, continues and ends runs through ``book``;
    ``functions`` (read-only) gives a function's retries and an invoke's target."""

    def __init__(
        self,
        db: SystemDatabase,
        book: RunBook,
        functions: Mapping[str, FunctionSpec],
        cfg: EngineConfig,
    ) -> None:
        self.db = db
        self.book = book
        self.functions = functions
        self.cfg = cfg

    def apply(
        self,
        uow: UnitOfWork,
        run: LiveRun,
        fn: FunctionSpec,
        out: CallOutcome,
        started: float,
        now: float,
    ) -> None:
        if run.status == RunStatus.QUEUED:
            self.db.mark_running(uow.conn, run.run_id, started)
        if out.status == 206:
            self._ops(uow, run, out, started, now)
        elif out.status == 200:
            self.book.finish(uow, run, now, output=out.output)
        else:
            self._error(uow, run, fn, out, now)

    def _step_row(
        self,
        uow: UnitOfWork,
        run: LiveRun,
        op: dict[str, Any],
        started: float,
        now: float,
        output: Any = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        self.db.add_step(
            uow.conn,
            run_id=run.run_id,
            step_id=op.get("id", ""),
            name=str(op.get("displayName") or op.get("name") or op.get("id")),
            op=str(op.get("op")),
            attempt=run.attempt,
            started_at=started,
            ended_at=now,
            output=output,
            error=error,
        )

    def _ops(
        self,
        uow: UnitOfWork,
        run: LiveRun,
        out: CallOutcome,
        started: float,
        now: float,
    ) -> None:
        unknown = sorted({str(op.get("op")) for op in out.ops} - KNOWN_OPS)
        if unknown:  # never leave the run RUNNING with nothing queued
            message = f"the engine does not support the op(s) {', '.join(unknown)} this SDK sent"
            self.book.finish(uow, run, now, error={"name": "UnsupportedOpcode", "message": message})
            return
        p = _Progress(dict(run.steps), list(run.stack), list(run.pending), run.attempt)
        p.no_retry, p.retry_at = out.no_retry, out.retry_at
        # As the dev server (ForceStepPlan): once a reply holds more than one op
        # (parallel steps), later steps are planned first (disable_immediate_execution)
        # while the run fans out.
        p.parallel = run.parallel or len(out.ops) > 1
        for op in out.ops:
            self._op(uow, run, op, p, started, now)
        race = any((op.get("opts") or {}).get("parallelMode") == "race" for op in out.ops)
        discover = p.advance and (race or not p.pending)
        if discover and len(out.ops) == 1:
            # maybeResetForceStepPlan: the discovery call that follows a group (or, in
            # race mode, a step) runs its next step at once again (request version 2).
            p.parallel = False
        nxt = run.advanced(
            steps=p.steps,
            stack=p.stack,
            pending=p.pending,
            attempt=p.attempt,
            parallel=p.parallel,
            status=RunStatus.RUNNING,
        )
        self.db.save_progress(uow.conn, nxt)
        # Wait mode: discovery once the group's steps are all done; race: after each.
        if discover:
            self.book.enqueue_call(uow, nxt, now, may_carry=True)

    def _op(
        self,
        uow: UnitOfWork,
        run: LiveRun,
        op: dict[str, Any],
        p: _Progress,
        started: float,
        now: float,
    ) -> None:
        """Apply one op of a 206 reply to the run's progress ``p``."""
        kind, sid = op.get("op"), op.get("id", "")
        if kind in ("StepRun", "StepFailed"):
            p.memoize(
                sid, {"data": op.get("data")} if kind == "StepRun" else {"error": op.get("error")}
            )
            p.pending = [x for x in p.pending if x != sid]
            self._step_row(uow, run, op, started, now, output=op.get("data"), error=op.get("error"))
        elif kind == "StepError":
            self._step_error(uow, run, op, p, started, now)
        elif kind == "StepPlanned":
            if sid not in p.steps and sid not in p.pending:
                p.pending.append(sid)
                self.book.enqueue_call(uow, run, now, sid)
        elif sid in p.pending or sid in p.steps:
            return  # a sleep, wait or invoke already started: a later round re-reports it
        elif kind in ("Sleep", "WaitForEvent"):
            p.pending.append(sid)
            self._step_row(uow, run, op, started, now)
            self._timer(uow, run, op, now)
        elif kind == "InvokeFunction":
            p.pending.append(sid)
            failed = self._invoke(uow, run, op, now)
            if failed is not None:  # memoized now, like a failed step: the run goes on
                p.memoize(sid, failed)
                p.pending.remove(sid)
                self._step_row(uow, run, op, started, now, error=failed["error"])

    def _step_error(
        self,
        uow: UnitOfWork,
        run: LiveRun,
        op: dict[str, Any],
        p: _Progress,
        started: float,
        now: float,
    ) -> None:
        """A step raised: memoize the error when no retry is left or allowed (the
        SDK's no-retry header), else retry the step at its Retry-After or backoff."""
        sid = op.get("id", "")
        self._step_row(uow, run, op, started, now, error=op.get("error"))
        p.attempt += 1
        fn = self.functions.get(run.fn_id)
        if p.no_retry or (fn is not None and p.attempt >= fn.max_attempts):
            p.memoize(sid, {"error": op.get("error")})
            p.pending = [x for x in p.pending if x != sid]
            return
        delay = backoff(p.attempt - 1, self.cfg.retry_base_delay, self.cfg.retry_max_delay)
        due = p.retry_at if p.retry_at is not None else now + delay
        self.book.enqueue_call(uow, run, due, sid if sid in run.pending else None)

    def _timer(self, uow: UnitOfWork, run: LiveRun, op: dict[str, Any], now: float) -> None:
        """Queue a sleep's wake-up, or a wait for an event with its timeout."""
        sid, run_id, fn_id = op.get("id", ""), run.run_id, run.fn_id
        if op.get("op") == "Sleep":
            self.db.enqueue(uow.conn, run_id, fn_id, QueueKind.WAKE, _iso(op["name"]), sid)
            return
        opts = op.get("opts") or {}
        expires = now + parse_duration(opts.get("timeout") or "1h")
        self.db.add_wait(uow.conn, Wait(run_id, sid, op["name"], opts.get("if"), expires))
        self.db.enqueue(uow.conn, run_id, fn_id, QueueKind.WAIT_TIMEOUT, expires, sid)

    def _invoke(
        self, uow: UnitOfWork, run: LiveRun, op: dict[str, Any], now: float
    ) -> dict[str, Any] | None:
        """Start the invoked run; returns the step's error memo when there is none."""
        opts = op.get("opts") or {}
        target = self.functions.get(str(opts.get("function_id")))
        sid = op.get("id", "")
        if target is None:
            return {
                "error": {
                    "name": "Error",
                    "message": f"function {opts.get('function_id')!r} not found",
                }
            }
        payload = opts.get("payload") or {}
        event = {
            "name": INVOKED_EVENT,
            "data": payload.get("data") or {},
            "id": new_id(),
            "ts": int(now * 1000),
        }
        self.book.start_run(
            uow, target, [event], now, None, parent={"run_id": run.run_id, "step_id": sid}
        )
        if opts.get("timeout"):
            self.db.enqueue(
                uow.conn,
                run.run_id,
                run.fn_id,
                QueueKind.INVOKE_TIMEOUT,
                now + parse_duration(opts["timeout"]),
                sid,
            )
        return None

    def _error(
        self, uow: UnitOfWork, run: LiveRun, fn: FunctionSpec, out: CallOutcome, now: float
    ) -> None:
        attempt = run.attempt + 1
        error = out.error or {"name": "Error", "message": f"HTTP {out.status}"}
        self.db.add_step(
            uow.conn,
            run_id=run.run_id,
            step_id="",
            name="function",
            op="Error",
            attempt=run.attempt,
            started_at=now,
            ended_at=now,
            error=error,
        )
        if out.no_retry or attempt >= fn.max_attempts:
            # The dev server's driver error: its no-retry marker, else the HTTP status.
            cause = "NonRetriableError" if out.no_retry else f"invalid status code: {out.status}"
            if out.status == 0:  # unreachable: no status, the transport's message
                cause = str(error.get("message") or cause)
            failure = standard_error(error, cause)
            self.book.finish(uow, run, now, error=error, failure=failure)
            return
        due = (
            out.retry_at
            if out.retry_at
            else now + backoff(attempt - 1, self.cfg.retry_base_delay, self.cfg.retry_max_delay)
        )
        self.db.set_attempt(uow.conn, run.run_id, attempt)
        self.book.enqueue_call(uow, run, due)
