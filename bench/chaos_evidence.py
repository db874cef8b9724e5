"""What the chaos benches read back, on SQLite and on Postgres alike: the counts that
say lost or stuck (one ``counts()`` for both benches), the engine's step history, the
runs' videos, the calls in flight, the quota ledger and the alerts.

Read with plain SQL over SQLAlchemy URLs: the bench runs beside the processes it kills
and must not share their objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

COUNTS_APP = {
    "videos": "select count(*) from video",
    "harvested": "select count(*) from video where harvest_status = 'harvested'",
    # deleted, or comments not disclosable, on TikTok's side: done, nothing to harvest
    "unavailable": "select count(*) from video where harvest_status = 'unavailable'",
    "comments": "select count(*) from comment",
    "extracted": "select count(*) from comment where extracted_at is not null",
    "unextracted": "select count(*) from comment where extracted_at is null",
    "mentions": "select count(*) from domain_mention",
    "distinct_mentions": "select count(*) from "
    "(select distinct comment_id, domain_id from domain_mention) d",
    "dead_letters": "select count(*) from dead_letter",
    "alerts": "select count(*) from alert",
}
COUNTS_ENGINE = {
    "runs_unfinished": "select count(*) from engine_runs where status in ('QUEUED', 'RUNNING')",
    "runs_failed": "select count(*) from engine_runs where status = 'FAILED'",
    "queue_calls": "select count(*) from engine_queue where kind = 'call'",
    "steps_done": "select count(*) from engine_steps where op = 'StepRun'",
}
STAGE_OF_FN = {
    "discover-videos": "discovery",
    "harvest-comments": "harvest",
    "extract-domains": "extraction",
}


def fn_name(fn_id: str) -> str:
    """The function's own id: the engine prefixes it with the app's
    (``tiktok-harvester-harvest-comments``)."""
    for name in STAGE_OF_FN:
        if fn_id.endswith(name):
            return name
    return fn_id


@dataclass
class Databases:
    """The app's and the engine's databases (one URL twice on Postgres)."""

    app_url: str
    engine_url: str
    _engines: dict[str, sa.Engine] = field(default_factory=dict)

    def sql(self, url: str) -> sa.Engine:
        if url not in self._engines:
            # pre-ping: a Postgres restart cuts pooled connections
            self._engines[url] = sa.create_engine(url, pool_pre_ping=True)
        return self._engines[url]

    def rows(self, url: str, query: str, **params: Any) -> list[Any]:
        with self.sql(url).connect() as conn:
            return list(conn.execute(sa.text(query), params))

    def dispose(self) -> None:
        for eng in self._engines.values():
            eng.dispose()
        self._engines.clear()


def counts(dbs: Databases) -> dict[str, int]:
    """The figures that say lost, duplicated in the tables, or stuck ({} while the
    database is unreachable, e.g. during a Postgres restart)."""
    out: dict[str, int] = {}
    try:
        for url, queries in ((dbs.app_url, COUNTS_APP), (dbs.engine_url, COUNTS_ENGINE)):
            with dbs.sql(url).connect() as conn:
                for k, q in queries.items():
                    out[k] = int(conn.execute(sa.text(q)).scalar() or 0)
    except sa.exc.SQLAlchemyError:
        return {}
    return out


def settled(c: dict[str, int]) -> bool:
    """Every discovered video done, every run finished, every comment extracted."""
    if not c.get("videos"):
        return False
    done = c["harvested"] + c["unavailable"] == c["videos"]
    return done and not c["runs_unfinished"] and not c["unextracted"]


def no_loss(c: dict[str, int], planted_failures: int = 0) -> list[str]:
    """What the counts say is lost, duplicated or stuck (empty: nothing).
    ``planted_failures``: runs the bench made fail on purpose (each leaves one failed
    run and one dead letter); any other failure is a problem."""
    problems = []
    if not c.get("videos"):
        problems.append("no video discovered")
        return problems
    if c["harvested"] + c["unavailable"] != c["videos"]:
        problems.append(f"{c['videos'] - c['harvested'] - c['unavailable']} videos not harvested")
    if c["unextracted"]:
        problems.append(f"{c['unextracted']} comments never extracted")
    if c["mentions"] != c["distinct_mentions"]:
        problems.append("duplicate mention rows")
    if c["runs_unfinished"]:
        problems.append(f"{c['runs_unfinished']} runs unfinished (lost or stuck)")
    if c["runs_failed"] != planted_failures or c["dead_letters"] != planted_failures:
        problems.append(
            f"{c['runs_failed']} failed runs, {c['dead_letters']} dead letters "
            f"({planted_failures} planted)"
        )
    return problems


def in_flight(dbs: Databases) -> list[tuple[str, str, str]]:
    """(run id, function, lease owner) of every call an engine holds a lease on, lapsed
    or not: a call that outlives its lease is still running in its process (the caller
    leaves out the owners it killed)."""
    q = (
        "select run_id, fn_id, lease_owner from engine_queue where kind = 'call' "
        "and lease_owner is not null"
    )
    try:
        return [(r[0], fn_name(r[1]), r[2]) for r in dbs.rows(dbs.engine_url, q)]
    except sa.exc.SQLAlchemyError:
        return []


def expected_comments(dbs: Databases, pages: int, per_page: int) -> int:
    """Comments the harvest will store: each video's count, capped by the pages read."""
    q = "select comment_count from video"
    cap = pages * per_page
    return sum(min(int(r[0] or 0), cap) for r in dbs.rows(dbs.app_url, q))


def step_history(dbs: Databases) -> list[dict[str, Any]]:
    """Every step the engine recorded, with its run's function."""
    q = (
        "select s.run_id, r.fn_id, s.step_id, s.name, s.op, s.started_at, s.ended_at "
        "from engine_steps s join engine_runs r on r.run_id = s.run_id order by s.id"
    )
    keys = ("run_id", "fn_id", "step_id", "name", "op", "started_at", "ended_at")
    rows = [dict(zip(keys, r, strict=True)) for r in dbs.rows(dbs.engine_url, q)]
    return [{**r, "fn_id": fn_name(r["fn_id"])} for r in rows]


def run_videos(dbs: Databases) -> dict[str, tuple[str, str | None]]:
    """run id -> (function, the video of its event, if any)."""
    import json

    out: dict[str, tuple[str, str | None]] = {}
    q = "select run_id, fn_id, events from engine_runs"
    for run_id, fn_id, events in dbs.rows(dbs.engine_url, q):
        evs = json.loads(events) if isinstance(events, str) else events
        data = (evs or [{}])[0].get("data") or {}
        vid = data.get("video_id") if isinstance(data, dict) else None
        out[run_id] = (fn_name(fn_id), str(vid) if vid is not None else None)
    return out


def sql_quota(dbs: Databases) -> dict[str, tuple[int, int]]:
    """api -> (requests, records) the shared ledger counted, all days summed."""
    q = "select api, sum(requests), sum(records) from quota_ledger group by api"
    return {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in dbs.rows(dbs.app_url, q)}


def redis_quota(url: str) -> dict[str, tuple[int, int]]:
    """The same from a Redis ledger (``harvester:quota:<client>:<api>:<day>`` hashes)."""
    import redis

    r = redis.Redis.from_url(url)
    out: dict[str, tuple[int, int]] = {}
    try:
        for key in r.scan_iter("harvester:quota:*"):
            api = key.decode().split(":")[3]
            h = {k.decode(): int(v) for k, v in r.hgetall(key).items()}
            req, rec = out.get(api, (0, 0))
            out[api] = (req + h.get("requests", 0), rec + h.get("records", 0))
    finally:
        r.close()
    return out


def alert_rows(dbs: Databases) -> list[dict[str, Any]]:
    q = "select key, severity, message, created_at, occurrences, delivered from alert"
    keys = ("key", "severity", "message", "created_at", "occurrences", "delivered")
    return [dict(zip(keys, r, strict=True)) for r in dbs.rows(dbs.app_url, q)]
