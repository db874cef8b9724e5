"""enrich-dns, enrich-rdap, enrich-http: what a domain is, for an analyst to tell a brand
from a fresh scam site. Each listens to ``domain/enrich.requested``, caches its answer
for ``HARVESTER_LOOKUP_TTL_HOURS``, is throttled per target host, pauses behind the
kill switch, retries transient failures and dead-letters the rest like every function.

A definitive answer (no such domain, not in RDAP, refused by the SSRF guard) is stored
as a failed lookup, not retried: retrying cannot change it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import inngest

from harvester.domains.links import page_title
from harvester.jobs.deps import JobDeps
from harvester.jobs.domain_alerts import alert_young_spikes
from harvester.jobs.functions.resolution import pause_if_killed
from harvester.jobs.intel_events import ENRICH_REQUESTED, EnrichRequested, enrich_events
from harvester.jobs.lookups import (
    LOOKUPS_OFF,
    LookupBlocked,
    LookupFailed,
    Lookups,
    LookupUnavailable,
    parse_rdap,
)
from harvester.jobs.metrics import RUNS
from harvester.jobs.steps import RunScope, event_payload
from harvester.store import intel
from harvester.store.states import EnrichmentKind, JobState, LookupStatus

FN_IDS = {
    EnrichmentKind.DNS: "enrich-dns",
    EnrichmentKind.RDAP: "enrich-rdap",
    EnrichmentKind.HTTP: "enrich-http",
}


async def dns_data(lookups: Lookups, name: str) -> dict[str, Any]:
    """A, AAAA, NS and MX records."""
    return dict(await lookups.records(name))


async def rdap_data(lookups: Lookups, name: str) -> dict[str, Any]:
    """Creation date and registrar from the configured RDAP service, through the one
    guarded fetch: an RDAP server's redirect to a private address is refused too."""
    url = f"{lookups.settings.rdap_base_url.rstrip('/')}/domain/{name}"
    got = await lookups.fetch(url, accept="application/rdap+json")
    if got.status == 404:
        raise LookupFailed(f"{name}: not found in RDAP ({url})")
    if got.status >= 400:  # 429/5xx: transient, the step retries
        raise LookupUnavailable(f"{name}: RDAP answered HTTP {got.status} at {got.final_url}")
    try:
        doc = json.loads(got.body)
        data = parse_rdap(doc if isinstance(doc, dict) else {})
    except ValueError as exc:
        raise LookupFailed(f"{name}: RDAP answer is not JSON ({exc})") from exc
    created = data.get("registered_at")
    if created:
        data["registered_at"] = datetime.fromisoformat(created).astimezone(UTC).isoformat()
    return data


async def http_data(lookups: Lookups, name: str) -> dict[str, Any]:
    """What the site serves: status, final URL, title, TLS issuer, the redirect chain."""
    tls_error = None
    try:
        got = await lookups.fetch(f"https://{name}/")
    except httpx.ConnectError as exc:  # no TLS, or a certificate that fails: a finding too
        tls_error = str(exc) or type(exc).__name__
        got = await lookups.fetch(f"http://{name}/")
    return {
        "status": got.status,
        "final_url": got.final_url,
        "title": page_title(got.body),
        "tls_issuer": got.tls_issuer,
        "tls_error": tls_error,
        "hops": got.hops,
    }


LOOKUP: dict[EnrichmentKind, Callable[[Lookups, str], Awaitable[dict[str, Any]]]] = {
    EnrichmentKind.DNS: dns_data,
    EnrichmentKind.RDAP: rdap_data,
    EnrichmentKind.HTTP: http_data,
}


async def enrich(deps: JobDeps, kind: EnrichmentKind, domain: str) -> dict[str, Any]:
    """One step: look ``domain`` up (unless cached) and store the answer; nothing
    while look-ups are off."""
    if not deps.settings.domain_lookups:
        return {"domain": domain, "skipped": LOOKUPS_OFF}
    await pause_if_killed(deps)
    now = deps.clock()
    with deps.db.session() as s:
        due = intel.due_enrichments(s, [domain], kind, now)
    if not due:
        return {"domain": domain, "cached": True}
    domain_id, ascii_name = due[0]
    status, data, error = LookupStatus.OK, {}, None
    try:
        data = await LOOKUP[kind](Lookups(deps.settings), ascii_name)
    except (LookupFailed, LookupBlocked) as exc:
        blocked = isinstance(exc, LookupBlocked)
        status, error = (LookupStatus.BLOCKED if blocked else LookupStatus.FAILED), str(exc)
    ttl = timedelta(hours=deps.settings.lookup_ttl_hours)
    with deps.db.session() as s:
        intel.save_enrichment(s, domain_id, kind, status, data, error, now, ttl)
    alerted = await alert_young_spikes(deps, [domain]) if kind is EnrichmentKind.RDAP else []
    return {"domain": domain, "status": status.value, "error": error, "alerted": alerted}


def _build_one(client: inngest.Inngest, deps: JobDeps, kind: EnrichmentKind) -> Any:
    fn_id = FN_IDS[kind]
    s = deps.settings
    per_min = s.dns_per_minute if kind is EnrichmentKind.DNS else s.lookup_per_host_per_minute
    # DNS and RDAP ask one server each: throttle them as a whole. HTTP asks the domain.
    key = "event.data.domain" if kind is EnrichmentKind.HTTP else None

    @client.create_function(
        fn_id=fn_id,
        name=f"Enrich domains: {kind.value.upper()}",
        retries=3,
        concurrency=[inngest.Concurrency(limit=5)],
        throttle=inngest.Throttle(limit=per_min, period=timedelta(minutes=1), key=key),
        trigger=inngest.TriggerEvent(event=ENRICH_REQUESTED),
    )
    async def enrich_fn(ctx: inngest.Context) -> dict[str, Any]:
        run = RunScope(deps, ctx, fn_id)
        req = event_payload(ctx.event.data, EnrichRequested, ENRICH_REQUESTED)
        if not deps.settings.domain_lookups:  # the opt-in, where the look-up would happen
            off = {"domain": req.domain, "skipped": LOOKUPS_OFF}
            run.track("done", JobState.SKIPPED, off)
            return off
        step = functools.partial(enrich, deps, kind, req.domain)
        out: dict[str, Any] = await run.tiktok_step(kind.value, step)
        run.track("done", JobState.COMPLETED, out)
        RUNS.labels(fn_id, "completed").inc()
        return out

    return enrich_fn


REFRESH_FN = "refresh-domain-intel"
REFRESH_REQUESTED = "domain/intel.refresh.requested"
MAX_REFRESH = 2_000


async def refresh_due(deps: JobDeps) -> list[str]:
    """Domains mentioned in the last day whose enrichment is missing or expired."""
    now = deps.clock()
    with deps.db.session() as s:
        return intel.stale_active(s, now - timedelta(days=1), now, MAX_REFRESH)


def _build_refresh(client: inngest.Inngest, deps: JobDeps) -> Any:
    @client.create_function(
        fn_id=REFRESH_FN,
        name="Refresh expired domain enrichments",
        retries=2,
        concurrency=[inngest.Concurrency(limit=1)],
        trigger=[
            inngest.TriggerCron(cron="41 * * * *"),
            inngest.TriggerEvent(event=REFRESH_REQUESTED),
        ],
    )
    async def refresh(ctx: inngest.Context) -> dict[str, Any]:
        if not deps.settings.domain_lookups:
            return {"skipped": LOOKUPS_OFF}
        names: list[str] = await ctx.step.run("find-due", functools.partial(refresh_due, deps))
        if names:  # each enrichment skips what is still fresh: only the expired ones run
            await ctx.step.send_event("request-enrichment", enrich_events(names))
        return {"requested": len(names)}

    return refresh


def build(client: inngest.Inngest, deps: JobDeps) -> list[inngest.Function[Any]]:
    """The three enrichment functions and the hourly refresh of expired answers."""
    return [
        *(_build_one(client, deps, kind) for kind in EnrichmentKind),
        _build_refresh(client, deps),
    ]
