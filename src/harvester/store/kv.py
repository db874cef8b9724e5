"""Named settings rows (JSON values), such as the kill switch."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from harvester.store.clock import utcnow
from harvester.store.models import Setting
from harvester.store.upsert import insert_for


def put_setting(session: Session, key: str, value: dict[str, Any]) -> None:
    stmt = insert_for(session, Setting.__table__).values(key=key, value=value, updated_at=utcnow())
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["key"], set_={"value": value, "updated_at": utcnow()}
        )
    )


def get_setting(session: Session, key: str) -> dict[str, Any] | None:
    """The value stored under ``key`` (a copy), or None when it was never set."""
    row = session.get(Setting, key)
    return dict(row.value) if row else None
