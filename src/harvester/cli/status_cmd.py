"""``harvester status``: how the runs of the last day ended and what the last health
check said, from the running server's ``/api/v1`` when one answers, else from the
databases (never created by this read). The counts are the engine's, the same the
dashboard, ``/api``, the health check and ``/metrics`` show (``jobs.run_outcomes``)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from harvester.cli.data_reads import open_database, server_call
from harvester.cli.run_reads import open_engine
from harvester.cli.server_address import PortOption, UrlOption
from harvester.cli.target import Target, fail, pick
from harvester.clock import installed
from harvester.engine import RunStatus
from harvester.jobs.run_outcomes import DAY, run_outcomes
from harvester.settings import get_settings
from harvester.store.health import latest_health


def status(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    url: UrlOption = None,
    port: PortOption = None,
) -> None:
    """Runs of the last 24 h by status, their success rate, and the last health check."""
    if fmt not in ("table", "json"):
        raise fail(f"--format must be table or json (got {fmt!r})", 2)
    settings = get_settings()
    if not settings.embedded_engine:
        raise fail("runs live in your Inngest server (INNGEST_BASE_URL): open its dashboard")
    target = pick(settings, url=url, port=port)
    try:
        facts = _from_server(target) if target.api is not None else _from_files(target)
    finally:
        target.close()
    if fmt == "json":
        typer.echo(json.dumps(facts, default=str))
        return
    _print(facts)


def _from_server(target: Target) -> dict[str, Any]:
    assert target.api is not None
    overview = server_call(target.api, "GET", "/api/v1/overview", days=1)
    health = server_call(target.api, "GET", "/api/v1/health")["latest"]
    return _facts(overview["runs_24h"], overview["success_rate"], health)


def _from_files(target: Target) -> dict[str, Any]:
    engine = open_engine(target)
    try:
        outcomes = run_outcomes(engine, DAY, now=installed().time())
    finally:
        engine.close()
    db = open_database(target)
    try:
        with db.session() as s:
            health = latest_health(s)
    finally:
        db.dispose()
    rate = outcomes.failure_rate
    return _facts(outcomes.by_status, None if rate is None else round(1 - rate, 4), health)


def _facts(
    runs: dict[str, int], success_rate: float | None, health: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "runs_24h": runs,
        "failed_24h": runs.get(RunStatus.FAILED, 0),
        "success_rate": success_rate,
        "health": health,
    }


def _print(facts: dict[str, Any]) -> None:
    out = Console()
    runs = " · ".join(f"{k} {v}" for k, v in facts["runs_24h"].items()) or "none"
    rate = facts["success_rate"]
    out.print(f"runs (24 h)       {runs}", highlight=False)
    out.print(f"failed (24 h)     {facts['failed_24h']}", highlight=False)
    out.print(f"success (24 h)    {'—' if rate is None else f'{rate:.1%}'}", highlight=False)
    health = facts["health"]
    if health is None:
        out.print("last health check none yet", highlight=False)
        return
    runs_hour = (health["detail"] or {}).get("runs", {})
    failure = runs_hour.get("failure_rate")
    said = "; ".join(health["detail"].get("problems") or []) or "no problems"
    out.print(
        f"last health check {health['checked_at']} {health['status']}: failure rate "
        f"(1 h) {'—' if failure is None else f'{failure:.1%}'}; {said}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``status`` to the root app."""
    app.command("status")(status)
