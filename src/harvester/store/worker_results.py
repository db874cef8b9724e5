"""Results posted back by asynchronous workers, one row per job (the first one wins)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from harvester.store.models import WorkerResultRow
from harvester.store.upsert import insert_for


def put_worker_result(
    session: Session, job_id: str, ok: bool, payload: dict[str, Any], now: datetime
) -> bool:
    """Keep a worker's result; False when this job already had one (a duplicate post)."""
    stmt = insert_for(session, WorkerResultRow.__table__).values(
        job_id=job_id, ok=ok, payload=payload, received_at=now
    )
    res = session.execute(stmt.on_conflict_do_nothing(index_elements=["job_id"]))
    return bool(res.rowcount)  # type: ignore[attr-defined]


def get_worker_result(session: Session, job_id: str) -> tuple[bool, dict[str, Any]] | None:
    row = session.get(WorkerResultRow, job_id)
    return None if row is None else (row.ok, dict(row.payload))
