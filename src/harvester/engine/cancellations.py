"""Bulk cancellation, as Inngest's REST API offers it: ``POST /v1/cancellations``
(``app_id``, ``function_id``, ``started_before``, optional ``started_after`` and a CEL
``if`` on the triggering event) stores a job and cancels the function's unfinished
runs (queued, sleeping, waiting, running) created in that window, in batches of
``BATCH`` runs per transaction. The job is kept (``flow_state.CancellationJobs``), so
a job cut short by a restart is taken up again when the engine starts
(``unfinished``); ``GET /v1/cancellations`` lists jobs, ``DELETE`` removes one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from harvester.engine import schema
from harvester.engine.config import TERMINAL
from harvester.engine.flow_state import CancellationJob, CancellationJobs
from harvester.engine.runs import RunBook
from harvester.engine.sysdb import SystemDatabase, new_id
from harvester.engine.triggers import compile_expr, evaluate
from harvester.engine.work import UnitOfWork

BATCH = 500
FUTURE_SLACK_S = 5.0  # Inngest: started_before may be at most 5 s ahead of now


class CancellationError(ValueError):
    """A request the API refuses: ``status`` and a message naming the field."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _time(body: dict[str, Any], field: str, required: bool) -> float | None:
    value = body.get(field)
    if value is None:
        if required:
            raise CancellationError(400, f"{field} is required (an ISO 8601 time)")
        return None
    if not isinstance(value, str):
        raise CancellationError(400, f"{field} must be an ISO 8601 time string")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise CancellationError(400, f"{field}: not an ISO 8601 time ({value!r})") from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def validate(body: Any, functions: Mapping[str, object], now: float) -> CancellationJob:
    """The job a request body asks for, checked as Inngest checks it; the function is
    ``{app_id}-{function_id}`` (the SDK's full id) or ``function_id`` itself."""
    if not isinstance(body, dict):
        raise CancellationError(400, "body must be a JSON object")
    for field in ("app_id", "function_id"):
        if not isinstance(body.get(field), str) or not body[field].strip():
            raise CancellationError(400, f"{field} is required (a non-empty string)")
    before = _time(body, "started_before", required=True)
    after = _time(body, "started_after", required=False)
    assert before is not None
    if before > now + FUTURE_SLACK_S:
        raise CancellationError(400, "started_before must be in the past")
    if after is not None and after > before:
        raise CancellationError(400, "started_after must be before started_before")
    expr = body.get("if")
    if expr is not None:
        if not isinstance(expr, str):
            raise CancellationError(400, "if must be a CEL expression string")
        try:
            compile_expr(expr)
        except Exception as exc:  # ConfigError, or the CEL library's own kinds
            raise CancellationError(400, f"if: not a valid expression ({exc})") from exc
    fn_id = f"{body['app_id']}-{body['function_id']}"
    if fn_id not in functions:
        fn_id = body["function_id"]
    if fn_id not in functions:
        raise CancellationError(404, f"function_id: no function {body['function_id']!r}")
    return CancellationJob(
        id=new_id(),
        app_id=body["app_id"],
        function_id=body["function_id"],
        fn=fn_id,
        started_after=after,
        started_before=before,
        if_expr=expr,
        created_at=now,
    )


def _batch(
    job: CancellationJob, conn: Connection, past: str
) -> list[tuple[str, list[dict[str, Any]]]]:
    """The next unfinished runs of the job's window after run id ``past``: (run id,
    events) pairs."""
    r = schema.runs
    q = sa.select(r.c.run_id, r.c.events).where(
        r.c.fn_id == job.fn,
        r.c.status.not_in([s.value for s in TERMINAL]),
        r.c.created_at < job.started_before,
        r.c.run_id > past,
    )
    if job.started_after is not None:
        q = q.where(r.c.created_at >= job.started_after)
    found = conn.execute(q.order_by(r.c.run_id).limit(BATCH))
    return [(str(row.run_id), list(row.events or [])) for row in found]


def _wanted(job: CancellationJob, events: list[dict[str, Any]]) -> bool:
    return not job.if_expr or evaluate(job.if_expr, {"event": (events or [{}])[0]})


def run(db: SystemDatabase, book: RunBook, job: CancellationJob, now: float) -> dict[str, Any]:
    """Cancel the job's runs, batch by batch, each batch one transaction that also
    records the job's progress (so a restart resumes after it); the finished job, as
    the JSON ``jobs`` lists."""
    kept, past = CancellationJobs(db), ""
    while not job.done:
        with db.tx() as conn:
            rows = _batch(job, conn, past)
            uow = UnitOfWork(conn)
            for run_id, events in rows:
                why = f"cancelled by bulk cancellation {job.id}"
                if _wanted(job, events) and book.cancel(uow, run_id, now, why):
                    job.cancelled += 1
            past = rows[-1][0] if rows else past
            job.done = len(rows) < BATCH
            kept.save(conn, job)
    return job.to_json()


def unfinished(db: SystemDatabase) -> list[CancellationJob]:
    """Jobs a restart cut short."""
    with db.sql.connect() as conn:
        return [job for job in CancellationJobs(db).all(conn) if not job.done]


def jobs(db: SystemDatabase) -> list[dict[str, Any]]:
    """Every job kept, oldest first, as JSON (the API's ``cqrs.Cancellation`` source)."""
    with db.sql.connect() as conn:
        return [job.to_json() for job in CancellationJobs(db).all(conn)]


def delete(db: SystemDatabase, job_id: str) -> bool:
    """Forget a job; False when there is none by that id."""
    with db.tx() as conn:
        return CancellationJobs(db).remove(conn, job_id)
