"""What the jobs record about their runs: the step each run is on (``job_status``), and
the dead letters of the runs that gave up (to replay).

How a run ended is the engine's to say (``jobs.run_outcomes``): a ``job_status`` row is
the app's note of its last step and detail, never counted as an outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.clock import utcnow
from harvester.store.clock import as_utc
from harvester.store.list_order import order_by
from harvester.store.models import DeadLetter, JobStatus
from harvester.store.states import DeadLetterStatus, JobState
from harvester.store.upsert import insert_for


def set_job_status(
    session: Session,
    run_id: str,
    fn_id: str,
    state: JobState,
    step: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Note the step ``run_id`` is on (one row per run, upserted)."""
    now = utcnow()
    stmt = insert_for(session, JobStatus.__table__).values(
        run_id=run_id,
        fn_id=fn_id,
        step=step,
        state=state,
        detail=detail,
        started_at=now,
        updated_at=now,
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["run_id"],
            set_={"step": step, "state": state, "detail": detail, "updated_at": now},
        )
    )


def add_dead_letter(
    session: Session,
    fn_id: str,
    run_id: str,
    event: dict[str, Any],
    error: dict[str, Any],
    attempts: int,
) -> None:
    stmt = insert_for(session, DeadLetter.__table__).values(
        fn_id=fn_id,
        run_id=run_id,
        event=event,
        error=error,
        attempts=attempts,
        status=DeadLetterStatus.PENDING,
        created_at=utcnow(),
        replay_count=0,
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["run_id"]))


def mark_dead_letters_replayed(session: Session, ids: Sequence[int]) -> None:
    session.execute(
        sa.update(DeadLetter)
        .where(DeadLetter.id.in_(ids))
        .values(
            status=DeadLetterStatus.REPLAYED,
            replayed_at=utcnow(),
            replay_count=DeadLetter.replay_count + 1,
        )
    )


def dead_letters_to_replay(session: Session, ids: Sequence[int] | None) -> list[DeadLetter]:
    q = sa.select(DeadLetter).where(DeadLetter.status == DeadLetterStatus.PENDING)
    if ids is not None:
        q = sa.select(DeadLetter).where(DeadLetter.id.in_(ids))
    return list(session.scalars(q.order_by(DeadLetter.id)))


# The dead letters list's sort keys (the dashboard's column headers) and their columns.
DEAD_LETTER_SORTS: dict[str, Any] = {
    "id": DeadLetter.id,
    "function": DeadLetter.fn_id,
    "error": DeadLetter.error,
    "attempts": DeadLetter.attempts,
    "status": DeadLetter.status,
    "created": DeadLetter.created_at,
}


def count_dead_letters(session: Session, *, status: str | None = None) -> int:
    """How many dead letters ``dead_letters_page`` would list over all its pages."""
    stmt = sa.select(sa.func.count()).select_from(DeadLetter)
    if status:
        stmt = stmt.where(DeadLetter.status == status)
    return int(session.scalar(stmt) or 0)


def dead_letters_page(
    session: Session,
    *,
    status: str | None = None,
    after: int | None = None,
    limit: int = 100,
    sort: str = "id",
    descending: bool = True,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Dead letters in ``sort`` order (a key of ``DEAD_LETTER_SORTS``; the id breaks
    ties), newest first by default (``status``: pending or replayed)."""
    stmt = sa.select(DeadLetter)
    if status:
        stmt = stmt.where(DeadLetter.status == status)
    if after is not None:
        stmt = stmt.where(DeadLetter.id < after)
    stmt = order_by(stmt, DEAD_LETTER_SORTS, sort, descending, DeadLetter.id)
    rows = session.scalars(stmt.offset(offset).limit(limit))
    return [
        {
            "id": r.id,
            "fn_id": r.fn_id,
            "run_id": r.run_id,
            "event": r.event,
            "error": r.error,
            "attempts": r.attempts,
            "status": str(r.status),
            "created_at": as_utc(r.created_at),
            "replayed_at": as_utc(r.replayed_at),
            "replay_count": r.replay_count,
        }
        for r in rows
    ]
