"""The hot writes of an import — its comments, their mentions, the comment counts of
their videos — as ``executemany`` on the bare DB-API cursor (sqlite3 or psycopg) in
the session's transaction. SQLAlchemy's per-row parameter processing was a fifth of an
import's time; here each column's bind processor (a datetime for SQLite, say) is looked
up once and applied only where there is one, so the stored values are the same.

The rules are those of ``store/imported.py`` and ``store/mentions.py`` (a comment
stored once, its counts refreshed; a mention stored once per (comment, domain), its
domain's counts and day bumped), except that the distinct video and advertiser counts
are left to the caller, who refreshes them once per many batches
(``refresh_distinct_counts``): recounting them every batch re-read every mention of
every touched domain each time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from harvester.store.domains import ensure_domains
from harvester.store.models import Comment, Domain, DomainDay, DomainMention, HarvestStatus, Video
from harvester.store.upsert import insert_for

# The order of a comment's cells (the importer's spool keeps them so) and of a mention's.
COMMENT_COLUMNS = (
    "comment_id",
    "video_id",
    "text",
    "like_count",
    "reply_count",
    "parent_comment_id",
    "create_time",
)
MENTION_COLUMNS = (
    "comment_id",
    "video_id",
    "domain",  # the name: the row's domain_id is looked up
    "ascii_domain",
    "host",
    "matched",
    "url",
    "span_start",
    "span_end",
    "obfuscated",
    "email",
    "confidence",
)
_M_COMMENT, _M_VIDEO, _M_DOMAIN, _M_ASCII = 0, 1, 2, 3
_STORED_MENTION = (
    "comment_id",
    "domain_id",
    "video_id",
    "host",
    "matched",
    "url",
    "span_start",
    "span_end",
    "obfuscated",
    "email",
    "confidence",
    "created_at",
    "via_url",
)
Processor = Callable[[Any], Any]
_COMMENT = cast(sa.Table, Comment.__table__)
_MENTION = cast(sa.Table, DomainMention.__table__)
_VIDEO = cast(sa.Table, Video.__table__)
_DOMAIN = cast(sa.Table, Domain.__table__)
_DAY = cast(sa.Table, DomainDay.__table__)


def _cursor(session: Session) -> tuple[Any, Dialect]:
    conn = session.connection()
    return conn.connection.cursor(), conn.dialect


def _marker(dialect: Dialect) -> str:
    if dialect.paramstyle == "qmark":
        return "?"
    if dialect.paramstyle in ("format", "pyformat"):
        return "%s"
    raise RuntimeError(f"unsupported DB-API paramstyle {dialect.paramstyle!r}")


def _processors(dialect: Dialect, table: sa.Table, columns: Sequence[str]) -> list[Processor]:
    """Each column's bind processor (identity where the driver takes the value as is)."""
    out: list[Processor] = []
    for name in columns:
        proc = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        out.append(proc if proc is not None else _same)
    return out


def _same(v: Any) -> Any:
    return v


def _existing(
    session: Session, table: sa.Table, columns: Sequence[str], key: str, values: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """``columns`` of the rows whose ``key`` is one of ``values`` (a batch's worth), as
    one plain SELECT: SQLAlchemy's expansion of a 5,000-item IN list cost more than the
    query."""
    if not values:
        return []
    cur, dialect = _cursor(session)
    q = dialect.identifier_preparer
    cols = ", ".join(q.quote(c) for c in columns)
    head = f"SELECT {cols} FROM {q.format_table(table)} WHERE {q.quote(key)}"
    if dialect.name == "postgresql":  # one array parameter
        cur.execute(f"{head} = ANY(%s)", (list(values),))
    else:
        cur.execute(f"{head} IN ({', '.join([_marker(dialect)] * len(values))})", list(values))
    return [tuple(r) for r in cur.fetchall()]


def _insert_sql(dialect: Dialect, table: sa.Table, columns: Sequence[str], tail: str) -> str:
    q = dialect.identifier_preparer
    cols = ", ".join(q.quote(c) for c in columns)
    marks = ", ".join([_marker(dialect)] * len(columns))
    return f"INSERT INTO {q.format_table(table)} ({cols}) VALUES ({marks}) {tail}"


def insert_comments(
    session: Session, cells: Sequence[tuple[Any, ...]], now: datetime, *, extracted: bool
) -> list[str]:
    """Insert comments (``COMMENT_COLUMNS`` cells, one per id) not seen before; known
    ones get their like and reply counts refreshed. Returns the ids that were new."""
    if not cells:
        return []
    ids = [c[0] for c in cells]
    known = {r[0] for r in _existing(session, _COMMENT, ("comment_id",), "comment_id", ids)}
    cur, dialect = _cursor(session)
    table = _COMMENT
    columns = (*COMMENT_COLUMNS, "harvested_at", "extracted_at")
    procs = _processors(dialect, table, columns)
    when = procs[-2](now)
    done = procs[-1](now if extracted else None)
    created = procs[COMMENT_COLUMNS.index("create_time")]
    at = COMMENT_COLUMNS.index("create_time")
    rows = [(*c[:at], created(c[at]), *c[at + 1 :], when, done) for c in cells]
    q = dialect.identifier_preparer
    like, replies = q.quote("like_count"), q.quote("reply_count")
    tail = (
        f"ON CONFLICT ({q.quote('comment_id')}) DO UPDATE SET "
        f"{like} = excluded.{like}, {replies} = excluded.{replies}"
    )
    cur.executemany(_insert_sql(dialect, table, columns, tail), rows)
    return [i for i in ids if i not in known]


def mark_harvested(session: Session, counts: dict[str, int], now: datetime) -> None:
    """Each video of ``counts`` harvested now, with that many more comments."""
    if not counts:
        return
    v = _VIDEO.c
    stmt = (
        sa.update(_VIDEO)
        .where(v.video_id == sa.bindparam("vid"))
        .values(
            harvest_status=HarvestStatus.HARVESTED,
            last_harvested_at=now,
            comments_harvested=v.comments_harvested + sa.bindparam("n"),
        )
    )
    session.connection().execute(stmt, [{"vid": k, "n": n} for k, n in counts.items()])


def insert_mentions(
    session: Session,
    mentions: Sequence[tuple[Any, ...]],
    now: datetime,
    flagged: frozenset[str] = frozenset(),
) -> tuple[list[str], set[int], int]:
    """Store mentions (``MENTION_COLUMNS`` tuples) once per (comment, domain), bumping
    their domains' counts and day. Returns (domains first seen, the domain ids touched —
    their distinct counts are the caller's to refresh —, the mentions stored)."""
    if not mentions:
        return [], set(), 0
    ids, new_domains = ensure_domains(
        session, {m[_M_DOMAIN]: m[_M_ASCII] for m in mentions}, now, flagged
    )
    comment_ids = list({m[_M_COMMENT]: None for m in mentions})
    already = set(
        _existing(session, _MENTION, ("comment_id", "domain_id"), "comment_id", comment_ids)
    )
    fresh: dict[tuple[str, int], tuple[Any, ...]] = {}
    for m in mentions:
        key = (m[_M_COMMENT], ids[m[_M_DOMAIN]])
        if key not in already and key not in fresh:
            fresh[key] = m
    if not fresh:
        return sorted(new_domains), set(), 0
    _store_mentions(session, fresh, now)
    per_domain: dict[int, int] = {}
    for _c, d in fresh:
        per_domain[d] = per_domain.get(d, 0) + 1
    _bump_domains(session, per_domain, now)
    return sorted(new_domains), set(per_domain), len(fresh)


def _store_mentions(
    session: Session, fresh: dict[tuple[str, int], tuple[Any, ...]], now: datetime
) -> None:
    cur, dialect = _cursor(session)
    table = _MENTION
    procs = _processors(dialect, table, _STORED_MENTION)
    created = procs[_STORED_MENTION.index("created_at")](now)
    obf, mail = procs[_STORED_MENTION.index("obfuscated")], procs[_STORED_MENTION.index("email")]
    rows = [
        (c, d, m[1], m[4], m[5], m[6], m[7], m[8], obf(m[9]), mail(m[10]), m[11], created, None)
        for (c, d), m in fresh.items()
    ]
    q = dialect.identifier_preparer
    tail = f"ON CONFLICT ({q.quote('comment_id')}, {q.quote('domain_id')}) DO NOTHING"
    cur.executemany(_insert_sql(dialect, table, _STORED_MENTION, tail), rows)


def _bump_domains(session: Session, per_domain: dict[int, int], now: datetime) -> None:
    """Each domain's mention count and last-seen time, and its day's count."""
    conn = session.connection()
    d = _DOMAIN.c
    conn.execute(
        sa.update(_DOMAIN)
        .where(d.id == sa.bindparam("did"))
        .values(mention_count=d.mention_count + sa.bindparam("n"), last_seen_at=now),
        [{"did": k, "n": n} for k, n in per_domain.items()],
    )
    stmt = insert_for(session, _DAY)
    day = now.date()
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["domain_id", "day"],
            set_={"mention_count": _DAY.c.mention_count + stmt.excluded.mention_count},
        ),
        [{"domain_id": k, "day": day, "mention_count": n} for k, n in per_domain.items()],
    )
