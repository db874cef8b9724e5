"""health-check: every five minutes, check the database, the source, the token bucket,
the breakers, the harvest backlog and the failure rate of the last hour's runs (as the
engine recorded them); record a row; alert when something is critical."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import inngest

from harvester.guard.quota import APIS
from harvester.jobs.deps import JobDeps
from harvester.jobs.metrics import BUCKET_TOKENS, QUEUE_LAG
from harvester.jobs.run_outcomes import HOUR, engine_runs, run_outcomes
from harvester.jobs.steps import RunScope
from harvester.store.health import add_health_check, oldest_waiting
from harvester.store.states import Severity

FN_ID = "health-check"
LAG_WARNING = timedelta(minutes=30)
FAILURE_RATE_CRITICAL = 0.5
# A quota nearly spent long before its reset means harvests will wait for hours.
QUOTA_LOW_SHARE = 0.1
QUOTA_LOW_BEFORE_RESET = timedelta(hours=1)


def _database(deps: JobDeps) -> dict[str, Any]:
    now = deps.clock()
    with deps.db.session() as s:
        oldest = oldest_waiting(s)
    lag = (now - oldest).total_seconds() if oldest else 0.0
    return {"ok": True, "queue_lag_seconds": round(lag, 1)}


def _runs(deps: JobDeps) -> dict[str, Any]:
    """The last hour's runs by status and their failure rate, from the engine."""
    with engine_runs(deps.settings) as engine:
        if engine is None:
            return {"ok": True, "failure_rate": None, "note": "runs live in the Inngest server"}
        outcomes = run_outcomes(engine, HOUR, now=deps.clock().timestamp())
    return {"ok": True, **outcomes.as_dict()}


async def run_checks(deps: JobDeps) -> dict[str, Any]:
    """Every check, each isolated: one failing check never hides the others."""
    detail: dict[str, Any] = {}
    try:
        detail["database"] = _database(deps)
    except Exception as exc:
        detail["database"] = {"ok": False, "error": str(exc)}
    try:
        detail["runs"] = _runs(deps)
    except Exception as exc:
        detail["runs"] = {"ok": False, "error": str(exc)}
    try:
        await deps.source.ping()
        detail["source"] = {"ok": True}
    except Exception as exc:
        detail["source"] = {"ok": False, "error": str(exc)}
    try:
        detail["guard"] = {"ok": True, **(await deps.guard.snapshot())}
    except Exception as exc:
        detail["guard"] = {"ok": False, "error": str(exc)}
    try:
        detail["quota"] = _quota(deps)
    except Exception as exc:
        detail["quota"] = {"ok": False, "error": str(exc)}
    return detail


def _quota(deps: JobDeps) -> dict[str, Any]:
    now = deps.clock()
    out: dict[str, Any] = {"ok": True}
    for api in APIS:
        st = deps.guard.quota.status(api)
        out[api] = {**st.as_dict(), "seconds_to_reset": (st.resets_at - now).total_seconds()}
    return out


def quota_problems(quota: dict[str, Any]) -> list[str]:
    """One line per API whose daily quota is (nearly) spent well before its reset."""
    problems = []
    for api in APIS:
        q = quota.get(api)
        if not q or q["seconds_to_reset"] <= QUOTA_LOW_BEFORE_RESET.total_seconds():
            continue
        share = min(
            q["left_requests"] / q["limit_requests"], q["left_records"] / q["limit_records"]
        )
        if share <= QUOTA_LOW_SHARE:
            problems.append(
                f"{api} quota nearly spent: {q['left_requests']} of {q['limit_requests']} "
                f"requests and {q['left_records']} of {q['limit_records']} records left, "
                f"{q['seconds_to_reset'] / 3600:.1f} h before the reset (00:00 UTC); "
                "harvests wait for it — raise HARVESTER_QUOTA_* only if TikTok granted more"
            )
    return problems


def classify(detail: dict[str, Any]) -> tuple[Severity, list[str]]:
    """Overall severity and the reasons behind it."""
    problems: list[str] = []
    critical = False
    for name in ("database", "runs", "source", "guard", "quota"):
        if name in ("runs", "quota") and name not in detail:
            continue  # checks added later: older rows and callers lack them
        if not detail.get(name, {}).get("ok"):
            problems.append(f"{name} check failed: {detail.get(name, {}).get('error', '?')}")
            critical = critical or name == "database"
    degraded = detail.get("guard", {}).get("degraded")
    if degraded:
        problems.append(f"guard degraded: {degraded['reason']}; {degraded['fallback']}")
    db, rate = detail.get("database", {}), detail.get("runs", {}).get("failure_rate")
    if rate is not None and rate >= FAILURE_RATE_CRITICAL:
        problems.append(f"failure rate {rate:.0%} in the last hour")
        critical = True
    problems += quota_problems(detail.get("quota", {}))
    if db.get("queue_lag_seconds", 0) > LAG_WARNING.total_seconds():
        problems.append(f"harvest backlog {db['queue_lag_seconds'] / 60:.0f} min old")
    if critical:
        return Severity.CRITICAL, problems
    return (Severity.WARNING if problems else Severity.INFO), problems


def _export(detail: dict[str, Any]) -> None:
    """The gauges only this check measures (run outcomes are exported at each scrape)."""
    db, guard = detail.get("database", {}), detail.get("guard", {})
    if "queue_lag_seconds" in db:
        QUEUE_LAG.set(float(db["queue_lag_seconds"]))
    if "bucket" in guard:
        BUCKET_TOKENS.set(float(guard["bucket"]["tokens"]))


async def check_and_record(deps: JobDeps) -> dict[str, Any]:
    detail = await run_checks(deps)
    _export(detail)
    severity, problems = classify(detail)
    with deps.db.session() as s:
        add_health_check(s, severity, {**detail, "problems": problems}, at=deps.clock())
    if severity is Severity.CRITICAL:
        await deps.alerts.raise_alert("health:critical", severity, "; ".join(problems), detail)
    for line in quota_problems(detail.get("quota", {})):
        await deps.alerts.raise_alert(f"quota:{line.split()[0]}", Severity.WARNING, line)
    degraded = detail.get("guard", {}).get("degraded")
    if degraded:  # the budget holds, but shared limits are now the database's: say so
        why = f"{degraded['reason']} since {degraded['since']}: {degraded['fallback']}"
        await deps.alerts.raise_alert("guard:redis-down", Severity.WARNING, why, degraded)
    return {"status": str(severity), "problems": problems}


def build(client: inngest.Inngest, deps: JobDeps) -> inngest.Function[Any]:
    @client.create_function(
        fn_id=FN_ID,
        name="Health check",
        retries=1,
        trigger=[
            inngest.TriggerCron(cron="*/5 * * * *"),
            inngest.TriggerEvent(event="system.health.requested"),
        ],
    )
    async def health(ctx: inngest.Context) -> dict[str, Any]:
        run = RunScope(deps, ctx, FN_ID)
        result: dict[str, Any] = await run.step("check", lambda: check_and_record(deps))
        return result

    return health
