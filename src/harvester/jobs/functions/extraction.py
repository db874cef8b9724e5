"""extract-domains: batched extraction events → domains and mentions, idempotently
(a comment is extracted once; a (comment, domain) mention is stored once)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import inngest
import pydantic

from harvester.domains import extract, parse_blocklist
from harvester.jobs.deps import JobDeps
from harvester.jobs.domain_alerts import alert_young_spikes
from harvester.jobs.events import EXTRACT_REQUESTED, ExtractRequested
from harvester.jobs.intel_events import enrich_events, resolve_events
from harvester.jobs.metrics import DOMAINS_NEW, MENTIONS, RUNS
from harvester.jobs.steps import RunScope
from harvester.store import Database
from harvester.store.comments import mark_extracted, pending_comments
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.states import JobState

FN_ID = "extract-domains"
MAX_COMMENTS_PER_RUN = 50_000
MAX_FOLLOW_UPS = 2_000  # intel events per run; the rest wait for a later mention


def mentions_of(comment_id: str, video_id: str, text: str) -> list[MentionRow]:
    """The mentions of one comment, as rows for the store (pure)."""
    return [
        MentionRow(
            comment_id=comment_id,
            video_id=video_id,
            domain=m.domain,
            ascii_domain=m.ascii_domain,
            host=m.host,
            matched=m.matched,
            url=m.url,
            span_start=m.start,
            span_end=m.end,
            obfuscated=m.obfuscated,
            email=m.email,
            confidence=m.confidence,
        )
        for m in extract(text).domains
    ]


def flagged_domains(deps: JobDeps) -> frozenset[str]:
    """The configured blocklist of known-bad domains (empty when none is set)."""
    path = deps.settings.domain_blocklist_file
    return parse_blocklist(path.read_text("utf-8")) if path else frozenset()


async def extract_comments(deps: JobDeps, comment_ids: list[str] | None) -> dict[str, Any]:
    """Extract every pending comment of ``comment_ids`` (all pending when None), then
    alert on young spiking domains and ask for their lookups."""
    out, rows, new_domains = _extract(deps.db, deps.clock, comment_ids, flagged_domains(deps))
    await alert_young_spikes(deps, sorted({r.domain for r in rows}))
    if deps.settings.domain_lookups:
        events = [*resolve_events((r.domain, r.url) for r in rows), *enrich_events(new_domains)]
        out["follow_up"] = [{"name": e.name, "data": e.data} for e in events[:MAX_FOLLOW_UPS]]
    return out


def extract_pending(
    db: Database,
    clock: Callable[[], datetime],
    comment_ids: list[str] | None,
    flagged: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The extraction itself, for callers outside a function run (``harvester import``)."""
    return _extract(db, clock, comment_ids, flagged)[0]


def _extract(
    db: Database,
    clock: Callable[[], datetime],
    comment_ids: list[str] | None,
    flagged: frozenset[str],
) -> tuple[dict[str, Any], list[MentionRow], list[str]]:
    with db.session() as s:
        pending = pending_comments(s, comment_ids, MAX_COMMENTS_PER_RUN)
    rows = [r for cid, vid, text in pending for r in mentions_of(cid, vid, text)]
    now = clock()
    with db.session() as s:
        new_domains = record_mentions(s, rows, now, flagged=flagged)
        mark_extracted(s, [p[0] for p in pending], now)
    DOMAINS_NEW.inc(len(new_domains))
    MENTIONS.inc(len(rows))
    out: dict[str, Any] = {
        "comments": len(pending),
        "mentions": len(rows),
        "new_domains": new_domains[:100],
        "new_domain_count": len(new_domains),
    }
    return out, rows, new_domains


def build(client: inngest.Inngest, deps: JobDeps) -> inngest.Function[Any]:
    @client.create_function(
        fn_id=FN_ID,
        name="Extract domains from comments",
        retries=3,
        batch_events=inngest.Batch(max_size=50, timeout=timedelta(seconds=5)),
        trigger=inngest.TriggerEvent(event=EXTRACT_REQUESTED),
    )
    async def extract_domains(ctx: inngest.Context) -> dict[str, Any]:
        run = RunScope(deps, ctx, FN_ID)
        ids: list[str] = []
        for ev in ctx.events or [ctx.event]:
            try:
                ids += ExtractRequested.model_validate(dict(ev.data)).comment_ids
            except pydantic.ValidationError as exc:
                ctx.logger.error("skipping invalid %s event %s: %s", EXTRACT_REQUESTED, ev.id, exc)
        if not ids:
            return {"comments": 0, "mentions": 0, "new_domain_count": 0}
        out: dict[str, Any] = await run.step(
            "extract", lambda: extract_comments(deps, sorted(set(ids)))
        )
        follow_up = out.pop("follow_up", [])
        if follow_up:  # links to resolve, new domains to enrich
            await ctx.step.send_event(
                "request-intel", [inngest.Event(name=e["name"], data=e["data"]) for e in follow_up]
            )
        run.track("done", JobState.COMPLETED, out)
        RUNS.labels(FN_ID, "completed").inc()
        return out

    return extract_domains
