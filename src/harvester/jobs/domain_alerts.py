"""The alert an analyst asked for: a young domain (freshly registered) that spikes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time

from harvester.jobs.deps import JobDeps
from harvester.store import domain_list
from harvester.store.alerts import alerted_since
from harvester.store.domain_list import DomainQuery
from harvester.store.states import Severity

ALERT_KEY = "domain.young_spike"


async def alert_young_spikes(deps: JobDeps, names: Sequence[str]) -> list[str]:
    """Alert once per domain and day for each of ``names`` that is young and spiking."""
    if not names:
        return []
    query = DomainQuery(thresholds=deps.settings.thresholds, today=deps.clock().date())
    with deps.db.session() as s:
        young = domain_list.young_among(s, list(names), query)
        rows = [domain_list.one(s, n, query) for n in young]
    hits = [r for r in rows if r and {"young", "spiking"} <= set(r["signals"])]
    midnight = datetime.combine(query.today or deps.clock().date(), time(), tzinfo=UTC)
    for r in hits:
        key = f"{ALERT_KEY}:{r['name']}:{query.today}"
        with deps.db.session() as s:
            if alerted_since(s, key, midnight):
                continue  # once per domain and day, however often it is mentioned
        await deps.alerts.raise_alert(
            key,
            Severity.WARNING,
            f"young domain {r['name']} spikes: {r['mentions_today']} mentions today, "
            f"registered {r['age_days']} days ago, {r['advertiser_count']} advertisers",
            {k: r[k] for k in ("name", "mentions_today", "age_days", "advertiser_count")},
        )
    return [r["name"] for r in hits]
