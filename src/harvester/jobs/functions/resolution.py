"""resolve-links: where a shortener or link-in-bio URL leads. Follows redirects (bounded
hops and time, every hop through the SSRF guard), records the chain and the final
registrable domain, lists a link-in-bio page's outbound links, and counts the domains
reached as mentions of the comments that carried the link (``via_url`` says how)."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

import httpx
import inngest

from harvester.domains import normalize_domain
from harvester.domains.hosts import DomainKind, host_kind
from harvester.domains.links import outbound_links
from harvester.domains.normalize import parse_host
from harvester.jobs.calls import Paused
from harvester.jobs.deps import JobDeps
from harvester.jobs.domain_alerts import alert_young_spikes
from harvester.jobs.functions.extraction import flagged_domains
from harvester.jobs.intel_events import (
    RESOLVE_REQUESTED,
    ResolveRequested,
    enrich_events,
    resolve_events,
)
from harvester.jobs.lookups import LOOKUPS_OFF, LookupBlocked, LookupFailed, Lookups
from harvester.jobs.metrics import RUNS
from harvester.jobs.steps import RunScope, event_payload
from harvester.store import intel
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.states import JobState, LookupStatus

FN_ID = "resolve-links"


async def pause_if_killed(deps: JobDeps) -> None:
    """Raise Paused while the kill switch is on (the step waits for it to go off)."""
    if await deps.guard.kill_switch.is_on():
        raise Paused("the kill switch is on: lookups are paused")


async def resolve(lookups: Lookups, url: str, source_domain: str) -> intel.Resolution:
    """Resolve one link. Whatever happens to this URL (refused by the guard, a
    connection refused, a bad URL) is its result: it never fails the run and so never
    keeps the event's other URLs from being resolved."""
    try:
        got = await lookups.fetch(url if "://" in url else f"https://{url}")
    except LookupBlocked as exc:
        return intel.Resolution(
            url, source_domain, LookupStatus.BLOCKED, [], None, None, [], str(exc)
        )
    except (LookupFailed, httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        error = str(exc) or type(exc).__name__
        return intel.Resolution(url, source_domain, LookupStatus.FAILED, [], None, None, [], error)
    final_host = httpx.URL(got.final_url).host
    outbound: list[str] = []
    if host_kind(source_domain) is DomainKind.LINK_IN_BIO and got.status == 200:
        outbound = outbound_links(got.body, final_host)
    return intel.Resolution(
        url,
        source_domain,
        LookupStatus.OK if got.status < 400 else LookupStatus.FAILED,
        got.hops,
        got.final_url,
        normalize_domain(final_host),
        outbound,
        None if got.status < 400 else f"HTTP {got.status} at {got.final_url}",
    )


def _reached(r: intel.Resolution) -> list[tuple[str, str]]:
    """(domain, url) each link leads to: the final site, or a bio page's links."""
    if r.status is not LookupStatus.OK:
        return []
    targets = r.outbound or ([r.final_url] if r.final_url else [])
    out = []
    for url in targets:
        name = normalize_domain(httpx.URL(url).host)
        if name and name != r.source_domain:
            out.append((name, url))
    return out


def _via_rows(deps: JobDeps, r: intel.Resolution) -> list[MentionRow]:
    reached = [(parse_host(httpx.URL(url).host), url) for _name, url in _reached(r)]
    if not reached:
        return []
    with deps.db.session() as s:
        carriers = intel.mentions_with_url(s, r.source_domain, r.url)
    return [
        MentionRow(
            comment_id=c["comment_id"],
            video_id=c["video_id"],
            domain=host.domain,
            ascii_domain=host.ascii_domain,
            host=host.host,
            matched=c["matched"],
            url=url,
            span_start=c["span_start"],
            span_end=c["span_end"],
            obfuscated=False,
            email=False,
            confidence=0.95,
            via_url=r.url,
        )
        for c in carriers
        for host, url in reached
        if host is not None
    ]


async def resolve_one(deps: JobDeps, url: str, source_domain: str) -> dict[str, Any]:
    """One step: resolve (unless cached), store, count the domains reached; nothing
    while look-ups are off."""
    if not deps.settings.domain_lookups:
        return {"url": url, "skipped": LOOKUPS_OFF, "events": []}
    await pause_if_killed(deps)
    now = deps.clock()
    with deps.db.session() as s:
        if intel.fresh_resolutions(s, [url], now):
            return {"url": url, "cached": True, "events": []}
    r = await resolve(Lookups(deps.settings), url, source_domain)
    rows = _via_rows(deps, r)
    with deps.db.session() as s:
        intel.save_resolution(s, r, now, timedelta(hours=deps.settings.lookup_ttl_hours))
        new = record_mentions(s, rows, now, flagged=flagged_domains(deps))
    await alert_young_spikes(deps, sorted({m.domain for m in rows}))
    events = [*resolve_events((m.domain, m.url) for m in rows), *enrich_events(new)]
    return {
        "url": url,
        "status": r.status.value,
        "final_domain": r.final_domain,
        "reached": sorted({m.domain for m in rows}),
        "error": r.error,
        "events": [{"name": e.name, "data": e.data} for e in events],
    }


def build(client: inngest.Inngest, deps: JobDeps) -> inngest.Function[Any]:
    per_min = deps.settings.lookup_per_host_per_minute

    @client.create_function(
        fn_id=FN_ID,
        name="Resolve shortener and link-in-bio links",
        retries=3,
        concurrency=[
            inngest.Concurrency(limit=10),
            inngest.Concurrency(limit=2, key="event.data.host"),
        ],
        throttle=inngest.Throttle(
            limit=per_min, period=timedelta(minutes=1), key="event.data.host"
        ),
        trigger=inngest.TriggerEvent(event=RESOLVE_REQUESTED),
    )
    async def resolve_links(ctx: inngest.Context) -> dict[str, Any]:
        run = RunScope(deps, ctx, FN_ID)
        req = event_payload(ctx.event.data, ResolveRequested, RESOLVE_REQUESTED)
        if not deps.settings.domain_lookups:  # the opt-in, where the look-up would happen
            off = {"host": req.host, "skipped": LOOKUPS_OFF, "urls": len(req.urls)}
            run.track("done", JobState.SKIPPED, off)
            return off
        results = []
        for i, url in enumerate(req.urls):
            step = functools.partial(resolve_one, deps, url, req.host)
            out = await run.tiktok_step(f"resolve-{i}", step)
            results.append(out)
            if out["events"]:
                await ctx.step.send_event(
                    f"follow-up-{i}",
                    [inngest.Event(name=e["name"], data=e["data"]) for e in out["events"]],
                )
        summary = {
            "host": req.host,
            "resolved": [
                {k: r.get(k) for k in ("url", "status", "final_domain", "reached")} for r in results
            ],
        }
        run.track("done", JobState.COMPLETED, summary)
        RUNS.labels(FN_ID, "completed").inc()
        return summary

    return resolve_links
