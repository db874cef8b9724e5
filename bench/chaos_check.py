"""The duplicate detector: side effects a step that ran twice leaves outside the
database, checked against what the engine says ran and where the bench killed.

The tables cannot show a duplicate (upserts on natural keys absorb it). TikTok can:
the simulator's request log has every page fetched. The rules:

- a request (endpoint and whole body) is answered once, unless a kill fell between
  the two requests' arrivals while the run that makes it had a call in flight (a step is
  at-least-once: only the killed step may run again); those are counted apart; a
  linking lookup may be answered once per link step (they repeat it by design);
- each harvest run fetched as many comment pages as the engine recorded page steps;
- the engine recorded each step of a run once;
- quota units spent = data requests made (plus at most one per call a kill cut
  between spending and sending); records are reported (the client and the simulator
  count them differently: an ad's detail is one record to one, none to the other);
- each alert posted to the webhook once, and only alerts that were stored; the alert a
  planted fault raises (``expected_alerts``) stored once and posted exactly once;
- a planted failure (a video TikTok refuses) is counted apart: its refused page is no
  page fetched.

Pure functions over recorded data, so a test can feed it a planted fault.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

HARVEST_FN = "harvest-comments"
DISCOVERY_FN = "discover-videos"
PAGE_STEP = re.compile(r"^page-\d+$")
AD_PAGE_STEP = re.compile(r"^discover-[A-Z]+-\d+$")
LINK_STEP = re.compile(r"^link-[A-Z]+-\d+$")
# Linking looks an advertiser's posts up from every link step that holds one of its
# ads (several regions, several chunks): one answer per link step is by design.
LOOKUPS = ("video/query", "advertiser/query", "ad/detail")
ALERT_WINDOW = timedelta(minutes=15)  # harvester.jobs.alerts.DEDUP_WINDOW


@dataclass(frozen=True)
class Kill:
    """One SIGKILL: when (the world's clock), which process, what it had in flight."""

    n: int
    at: float
    role: str
    stages: tuple[str, ...]
    runs: frozenset[str]


@dataclass
class Evidence:
    requests: list[dict[str, Any]]  # the simulator's request log
    steps: list[dict[str, Any]]  # the engine's step history (chaos_evidence.step_history)
    runs: dict[str, tuple[str, str | None]]  # run id -> (function, video id)
    kills: list[Kill] = field(default_factory=list)
    quota: dict[str, tuple[int, int]] = field(default_factory=dict)  # api -> (req, records)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    webhook_posts: list[str] = field(default_factory=list)
    planted_videos: frozenset[str] = frozenset()  # videos whose harvest fails on purpose
    expected_alerts: tuple[str, ...] = ()  # alert keys that must be posted exactly once


@dataclass
class Report:
    figures: dict[str, Any]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def served(entry: dict[str, Any]) -> bool:
    """An answer the caller acts on (not a refusal it retries: 401, 429, 5xx)."""
    status = int(entry.get("status", 0))
    return status < 500 and status not in (401, 429)


def check(ev: Evidence) -> Report:
    figures: dict[str, Any] = {}
    problems: list[str] = []
    for part in (_refetches, _pages_vs_steps, _ad_pages_vs_steps, _step_records, _quota, _alerts):
        f, p = part(ev)
        figures.update(f)
        problems += p
    figures["kills_by_stage"] = kills_by_stage(ev.kills)
    return Report(figures, problems)


def kills_by_stage(kills: list[Kill]) -> dict[str, int]:
    """How many kills had a call of each stage in flight (one kill may count twice)."""
    c: Counter[str] = Counter()
    for k in kills:
        c.update(k.stages or ("between calls",))
    return dict(c)


def _owners(ev: Evidence, entry: dict[str, Any]) -> set[str]:
    """The runs that make this request: the harvest of its video, else discovery."""
    if entry["endpoint"] == "comment/list":
        vid = entry.get("video_id")
        return {r for r, (fn, v) in ev.runs.items() if fn == HARVEST_FN and v == vid}
    return {r for r, (fn, _) in ev.runs.items() if fn == DISCOVERY_FN}


def _explained(ev: Evidence, owners: set[str], t1: float, t2: float) -> bool:
    return any(t1 < k.at < t2 and owners & k.runs for k in ev.kills)


def received(e: dict[str, Any]) -> float:
    """When the simulator got the request: a caller killed after sending it still has
    it answered, later (with latency, after the kill); the re-run asks again."""
    return float(e.get("received", e["t"]))


def _refetches(ev: Evidence) -> tuple[dict[str, Any], list[str]]:
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in ev.requests:
        if served(e):
            by_key[e["key"]].append(e)
    after_kill: Counter[str] = Counter()
    repeated = 0
    link_steps = sum(1 for s in ev.steps if s["op"] == "StepRun" and LINK_STEP.match(s["name"]))
    dupes: list[str] = []
    for entries in by_key.values():
        entries.sort(key=received)
        owners = _owners(ev, entries[0])
        lookups = link_steps - 1 if entries[0]["endpoint"] in LOOKUPS else 0
        for a, b in itertools.pairwise(entries):
            if _explained(ev, owners, received(a), received(b)):
                after_kill[a["endpoint"]] += 1
            elif lookups > 0:
                lookups, repeated = lookups - 1, repeated + 1
            else:
                dupes.append(_describe(b))
    figures = {
        "requests": len(ev.requests),
        "requests_served": sum(len(v) for v in by_key.values()),
        "distinct_requests": len(by_key),
        "refetched_after_kill": dict(after_kill),
        "lookups_repeated_by_link_steps": repeated,
        "duplicate_requests": len(dupes),
    }
    problems = [f"{len(dupes)} requests answered twice with no kill between: {dupes[:5]}"]
    return figures, problems if dupes else []


def _describe(e: dict[str, Any]) -> str:
    what = {k: e[k] for k in ("video_id", "cursor", "region", "search_id") if k in e}
    return f"{e['endpoint']} {what}"


def _pages_vs_steps(ev: Evidence) -> tuple[dict[str, Any], list[str]]:
    fetched: dict[str, set[str]] = defaultdict(set)
    for e in ev.requests:
        page_of = str(e.get("video_id"))
        if e["endpoint"] == "comment/list" and served(e) and page_of not in ev.planted_videos:
            fetched[page_of].add(e["key"])
    steps: Counter[str] = Counter()
    for s in ev.steps:
        fn, vid = ev.runs.get(s["run_id"], ("", None))
        if fn == HARVEST_FN and s["op"] == "StepRun" and PAGE_STEP.match(s["name"]):
            steps[str(vid)] += 1
    off = [
        f"video {v}: {len(fetched.get(v, ()))} pages fetched, {steps.get(v, 0)} page steps"
        for v in sorted(set(fetched) | set(steps))
        if len(fetched.get(v, ())) != steps.get(v, 0)
    ]
    figures = {
        "pages_fetched": sum(len(v) for v in fetched.values()),
        "page_steps": sum(steps.values()),
    }
    return figures, [f"{len(off)} videos whose pages and steps differ: {off[:5]}"] if off else []


def _ad_pages_vs_steps(ev: Evidence) -> tuple[dict[str, Any], list[str]]:
    """A resumed ad search sends the same body for each next page (the simulator logs
    the position it resumed from), so a re-run page step would fetch the page after it,
    not the same one: count ad pages against discovery's page steps instead. A kill
    that cut a discovery call may add one page."""
    fetched = sum(1 for e in ev.requests if e["endpoint"] == "ad/query" and served(e))
    steps = sum(1 for s in ev.steps if s["op"] == "StepRun" and AD_PAGE_STEP.match(s["name"]))
    discovery = {r for r, (fn, _) in ev.runs.items() if fn == DISCOVERY_FN}
    cut = sum(1 for k in ev.kills if k.runs & discovery)
    figures = {"ad_pages_fetched": fetched, "ad_page_steps": steps}
    if steps <= fetched <= steps + cut:
        return figures, []
    return figures, [f"{fetched} ad pages fetched for {steps} page steps ({cut} kills cut one)"]


def _step_records(ev: Evidence) -> tuple[dict[str, Any], list[str]]:
    done = Counter((s["run_id"], s["step_id"]) for s in ev.steps if s["op"] == "StepRun")
    twice = [f"run {r} step {sid}: {n}" for (r, sid), n in done.items() if n > 1]
    by_fn = Counter(ev.runs.get(r, ("?", None))[0] for (r, _), n in done.items())
    figures = {
        "step_executions": dict(by_fn),
        "step_attempts_failed": sum(
            1 for s in ev.steps if s["op"] not in ("StepRun",) and "Error" in s["op"]
        ),
    }
    return figures, [f"steps recorded more than once: {twice[:5]}"] if twice else []


def _quota(ev: Evidence) -> tuple[dict[str, Any], list[str]]:
    made = Counter(e["api"] for e in ev.requests)
    answered: Counter[str] = Counter()
    for e in ev.requests:
        answered[e["api"]] += int(e.get("records", 0))
    cut = sum(len(k.runs) for k in ev.kills)  # calls a kill may have cut after the spend
    problems: list[str] = []
    figures: dict[str, Any] = {}
    for api in sorted(set(made) | set(ev.quota)):
        spent, records = ev.quota.get(api, (0, 0))
        figures[f"quota_{api}"] = {
            "units_spent": spent,
            "requests_made": made[api],
            "records_spent": records,
            "records_answered": answered[api],
        }
        if spent < made[api]:
            problems.append(f"{api}: {made[api] - spent} requests made without a quota unit")
        elif spent - made[api] > cut:
            problems.append(f"{api}: {spent - made[api]} quota units spent with no request")
    return figures, problems


def _alerts(ev: Evidence) -> tuple[dict[str, Any], list[str]]:
    stored = Counter(f"[{str(a['severity']).upper()}] {a['message']}" for a in ev.alerts)
    posted = Counter(ev.webhook_posts)
    problems = [
        f"alert posted {n} times, stored {stored[text]}: {text[:80]}"
        for text, n in posted.items()
        if n > stored[text]
    ]
    delivered = sum(1 for a in ev.alerts if a["delivered"])
    if delivered > len(ev.webhook_posts):
        problems.append(f"{delivered} alerts marked delivered, {len(ev.webhook_posts)} posted")
    by_key: dict[str, list[datetime]] = defaultdict(list)
    for a in ev.alerts:
        by_key[a["key"]].append(_when(a["created_at"]))
    for key, times in by_key.items():
        times.sort()
        if any(b - a < ALERT_WINDOW for a, b in itertools.pairwise(times)):
            problems.append(f"alert {key!r} stored twice within its deduplication window")
    for key in ev.expected_alerts:
        rows = [a for a in ev.alerts if a["key"] == key]
        texts = {f"[{str(a['severity']).upper()}] {a['message']}" for a in rows}
        n = sum(posted[t] for t in texts)
        if len(rows) != 1 or n != 1:
            problems.append(f"alert {key!r}: stored {len(rows)} times, posted {n} (want 1, 1)")
    figures = {
        "alerts_stored": len(ev.alerts),
        "webhook_posts": len(ev.webhook_posts),
        "alerts_by_key": dict(Counter(str(a["key"]) for a in ev.alerts)),
    }
    return figures, problems


def _when(v: Any) -> datetime:
    return v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
