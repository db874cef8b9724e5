"""Comments: stored once per id, then extracted; and the pages that list them with
their mention spans."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from harvester.store.clock import as_utc
from harvester.store.list_order import order_by
from harvester.store.models import Comment, Domain, DomainMention
from harvester.store.upsert import insert_for

Span = tuple[int, int]


def upsert_comments(
    session: Session, video_id: str, rows: Sequence[dict[str, Any]], now: datetime
) -> list[str]:
    """Insert comments not seen before; returns the ids that were new."""
    if not rows:
        return []
    ids = [r["comment_id"] for r in rows]
    known = set(session.scalars(sa.select(Comment.comment_id).where(Comment.comment_id.in_(ids))))
    values = [{**r, "video_id": video_id, "harvested_at": now} for r in rows]
    stmt = insert_for(session, Comment.__table__).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["comment_id"],
        set_={"like_count": stmt.excluded.like_count, "reply_count": stmt.excluded.reply_count},
    )
    session.execute(stmt)
    return [i for i in dict.fromkeys(ids) if i not in known]


def pending_comments(
    session: Session, comment_ids: Iterable[str] | None, limit: int
) -> list[tuple[str, str, str]]:
    """(comment_id, video_id, text) not yet extracted: the given ids, or any when None."""
    q = sa.select(Comment.comment_id, Comment.video_id, Comment.text).where(
        Comment.extracted_at.is_(None)
    )
    if comment_ids is not None:
        q = q.where(Comment.comment_id.in_(list(comment_ids)))
    return [tuple(r) for r in session.execute(q.limit(limit))]  # type: ignore[misc]


def mark_extracted(session: Session, comment_ids: Sequence[str], now: datetime) -> None:
    if comment_ids:
        session.execute(
            sa.update(Comment).where(Comment.comment_id.in_(comment_ids)).values(extracted_at=now)
        )


# The comments list's sort keys (the dashboard's column headers) and their columns.
COMMENT_SORTS: dict[str, Any] = {
    "comment": Comment.comment_id,
    "text": Comment.text,
    "video": Comment.video_id,
    "likes": Comment.like_count,
    "harvested": Comment.harvested_at,
}


def _comment_filter(stmt: Any, video_id: str | None, q: str | None, with_domains: bool) -> Any:
    if video_id:
        stmt = stmt.where(Comment.video_id == video_id)
    if q:
        stmt = stmt.where(Comment.text.contains(q, autoescape=True))
    if with_domains:
        stmt = stmt.where(sa.exists().where(DomainMention.comment_id == Comment.comment_id))
    return stmt


def comments_page(
    session: Session,
    *,
    video_id: str | None = None,
    q: str | None = None,
    with_domains: bool = False,
    after: str | None = None,
    limit: int = 50,
    sort: str = "comment",
    descending: bool = True,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Comments in ``sort`` order (a key of ``COMMENT_SORTS``; the id breaks ties), each
    with its mention spans for highlighting; ``after`` (an id) pages the default order."""
    stmt = _comment_filter(sa.select(Comment), video_id, q, with_domains)
    if after:
        stmt = stmt.where(Comment.comment_id < after)
    stmt = order_by(stmt, COMMENT_SORTS, sort, descending, Comment.comment_id)
    rows = list(session.scalars(stmt.offset(offset).limit(limit)))
    found = _mentions_of(session, [c.comment_id for c in rows])
    return [
        {
            "comment_id": c.comment_id,
            "video_id": c.video_id,
            "text": c.text,
            "like_count": c.like_count,
            "create_time": as_utc(c.create_time),
            "harvested_at": as_utc(c.harvested_at),
            "domains": sorted({name for name, _ in found.get(c.comment_id, [])}),
            "spans": sorted(span for _, span in found.get(c.comment_id, [])),
        }
        for c in rows
    ]


def count_comments(
    session: Session,
    *,
    video_id: str | None = None,
    q: str | None = None,
    with_domains: bool = False,
) -> int:
    """How many comments ``comments_page`` would list over all its pages."""
    stmt = sa.select(sa.func.count()).select_from(Comment)
    return int(session.scalar(_comment_filter(stmt, video_id, q, with_domains)) or 0)


def _mentions_of(session: Session, ids: list[str]) -> dict[str, list[tuple[str, Span]]]:
    found: dict[str, list[tuple[str, Span]]] = {}
    if not ids:
        return found
    for cid, name, start, end in session.execute(
        sa.select(
            DomainMention.comment_id, Domain.name, DomainMention.span_start, DomainMention.span_end
        )
        .join(Domain, Domain.id == DomainMention.domain_id)
        .where(DomainMention.comment_id.in_(ids))
    ):
        found.setdefault(cid, []).append((name, (start, end)))
    return found
