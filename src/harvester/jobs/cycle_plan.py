"""The cycle plan: how much of the day's TikTok quota this cycle may spend, and which
videos it harvests. The I/O side of the quota planner: read today's ledger and the
harvest candidates, let ``planner`` choose, and report the choice (logs, metrics).
(Formerly ``jobs/budget.py``: "budget" meant four things; see the glossary in
``docs/architecture.md``.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from harvester.jobs.deps import JobDeps
from harvester.jobs.metrics import QUOTA_DEFERRED
from harvester.jobs.planner import Candidate, WorkKind, choose, cycle_allowance
from harvester.store.backlog import harvest_candidates

log = structlog.get_logger(__name__)

HARVEST_API = "research"  # comment/list: what a harvest spends


def allowance(deps: JobDeps, api: str, *, spread: bool) -> int:
    """Requests of ``api`` this cycle may spend (the planner's share of what is left
    today). Discovery's own official calls (ad detail, video query) can be bounded by
    it too; what they spend shrinks the harvests' share through the ledger."""
    status = deps.guard.quota.status(api)
    if not spread:
        return status.left_requests
    to_reset = (status.resets_at - deps.clock()).total_seconds()
    return cycle_allowance(status.left_requests, to_reset)


LINK_SHARE = 0.5  # of a cycle's research allowance, at most, for linking new ads


async def link_allowance(deps: JobDeps, *, spread: bool) -> int | None:
    """Advertisers discovery may look up this cycle (each costs about one ``ad/detail``
    and one ``video/query`` request): at most half of the research allowance, so the
    harvests of what is found keep the rest; ``None`` for a worker, which spends no
    TikTok quota."""
    if not deps.source.capabilities.spends_quota:
        return None
    research = allowance(deps, HARVEST_API, spread=spread)
    commercial = allowance(deps, "commercial", spread=spread)
    return max(0, min(int(research * LINK_SHARE), commercial))


def spreads_quota(manual: bool, asked: bool | None) -> bool:
    """Cron cycles spread the day's quota; a manual request may spend all that is left
    unless it asks to spread (``spread_quota``, as `harvester up`'s first cycle does)."""
    return asked if asked is not None else not manual


def _candidates(deps: JobDeps, due: list[str], stale_before: datetime) -> list[Candidate]:
    cost = deps.settings.comment_pages  # the most pages a harvest may fetch
    with deps.db.session() as s:
        rows = harvest_candidates(s, due, stale_before)
    return [
        Candidate(
            video_id=vid,
            kind=WorkKind.NEW if harvested is None else WorkKind.REHARVEST,
            cost=cost,
            discovered_at=found,
            last_harvested_at=harvested,
        )
        for vid, found, harvested in rows
    ]


async def plan_harvests(
    deps: JobDeps, due: list[str], stale_before: str, *, spread: bool
) -> list[str]:
    """The video ids to harvest this cycle, most valuable first, within the quota.
    A worker source spends no TikTok quota: everything due goes, as before."""
    if not deps.source.capabilities.spends_quota:
        return due
    status = deps.guard.quota.status(HARVEST_API)
    candidates = _candidates(deps, due, datetime.fromisoformat(stale_before))
    plan = choose(candidates, allowance(deps, HARVEST_API, spread=spread))
    QUOTA_DEFERRED.set(len(plan.deferred))
    detail: dict[str, Any] = {
        "left": status.left_requests,
        "allowance": plan.allowance,
        "chosen": len(plan.chosen),
        "deferred": len(plan.deferred),
    }
    log.info("harvests planned", **detail)
    return [c.video_id for c in plan.chosen]
