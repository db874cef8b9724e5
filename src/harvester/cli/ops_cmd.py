"""Operator commands that read the database directly (no server needed): ``run``,
``domains``, ``dlq``, ``kill-switch``. Exit codes: 0 ok, 1 failure/not found, 2 usage."""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from harvester.engine import queries as runq
from harvester.engine.store import Store
from harvester.guard import KillSwitch
from harvester.settings import get_settings
from harvester.store import Database, queries, upgrade

console = Console(stderr=True)
out = Console()
dlq_app = typer.Typer(help="Dead letters: list and replay.", no_args_is_help=False)


def _db() -> Database:
    db = Database(get_settings().effective_database_url)
    upgrade(db)
    return db


def run(run_id: Annotated[str, typer.Argument(help="Run id (see `harvester runs`).")]) -> None:
    """Show one run and its step timeline."""
    store = Store(get_settings().effective_engine_database_url)
    try:
        d = runq.run_detail(store, run_id)
    finally:
        store.dispose()
    if d is None:
        console.print(f"[red]no run {run_id}[/]: list runs with `harvester runs`")
        raise typer.Exit(1)
    out.print(f"[bold]{d['fn_id']}[/] {d['status']} · event {d['event_name']}")
    t0 = d["created_at"]
    table = Table("step", "op", "attempt", "start +s", "duration", "result")
    for s in d["steps"]:
        res = (
            "error: " + str((s["error"] or {}).get("message", ""))
            if s["error"]
            else json.dumps(s["output"], default=str)[:60]
        )
        table.add_row(
            s["name"],
            s["op"],
            str(s["attempt"]),
            f"{s['started_at'] - t0:.3f}",
            f"{s['duration'] * 1000:.1f} ms",
            res,
        )
    out.print(table)
    if d["error"]:
        out.print(f"[red]error:[/] {d['error'].get('message')}")


def domains(
    new_today: Annotated[bool, typer.Option("--new-today", help="Only first seen today.")] = False,
    q: Annotated[str | None, typer.Option(help="Substring to search.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 50,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """List harvested domains."""
    if fmt not in ("table", "json", "csv"):
        console.print("--format must be table, json or csv")
        raise typer.Exit(2)
    db = _db()
    with db.session() as s:
        rows = queries.domains(s, q=q, new_today=new_today, limit=limit)
    db.dispose()
    _emit(rows, ["name", "mention_count", "first_seen_at", "last_seen_at"], fmt)


def _emit(rows: list[dict[str, Any]], cols: list[str], fmt: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False))
    elif fmt == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(cols)
        for r in rows:
            w.writerow([r[c] for c in cols])
    else:
        table = Table(*cols)
        for r in rows:
            table.add_row(*[str(r[c]) for c in cols])
        out.print(table)


@dlq_app.callback(invoke_without_command=True)
def dlq(ctx: typer.Context) -> None:
    """List dead letters (failed runs with their event and error)."""
    if ctx.invoked_subcommand:
        return
    db = _db()
    with db.session() as s:
        rows = queries.dead_letters(s)
    db.dispose()
    table = Table("id", "function", "run", "error", "attempts", "status")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["fn_id"],
            r["run_id"],
            str(r["error"].get("message", ""))[:60],
            str(r["attempts"]),
            r["status"],
        )
    out.print(table)


@dlq_app.command("replay")
def dlq_replay(
    dl_id: Annotated[int | None, typer.Argument(help="Dead letter id.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every pending one.")] = False,
) -> None:
    """Re-send the original events (needs the server: `harvester up`)."""
    if dl_id is None and not all_:
        console.print("give a dead letter id or --all")
        raise typer.Exit(2)
    from harvester.jobs.operations import replay_dead_letters

    runtime = _HttpRuntime(_db())
    try:
        n = asyncio.run(replay_dead_letters(runtime, None if all_ else [dl_id or 0]))
    except Exception as exc:
        console.print(f"[red]replay failed:[/] {exc}. Is `harvester up` running?")
        raise typer.Exit(1) from exc
    console.print(f"replayed {n} dead letter(s)")
    if n == 0:
        raise typer.Exit(1)


class _HttpRuntime:
    """What operations need, talking to the running server over loopback HTTP."""

    def __init__(self, db: Database) -> None:
        from harvester.guard import Guard

        s = get_settings()
        self.db = db
        self.guard = Guard(db=db, redis_url=s.redis_url, rate_per_minute=s.api_rate_per_minute)
        self._url = f"http://{s.host}:{s.port}"

    async def send_events(self, events: list[dict[str, Any]]) -> list[str]:
        import httpx

        async with httpx.AsyncClient(timeout=10) as client:
            res = await client.post(f"{self._url}/e/NO_EVENT_KEY_SET", json=events)
            res.raise_for_status()
            return list(res.json()["ids"])


def kill_switch(
    action: Annotated[str, typer.Argument(help="on, off or status")],
    reason: Annotated[str, typer.Option(help="Why (shown on the dashboard).")] = "",
) -> None:
    """Pause (on) or resume (off) all TikTok calls; takes effect within a second."""
    if action not in ("on", "off", "status"):
        console.print("use: harvester kill-switch on|off|status")
        raise typer.Exit(2)
    db = _db()
    ks = KillSwitch(db)
    if action == "on":
        asyncio.run(ks.turn_on(reason or "from the CLI", "cli"))
    elif action == "off":
        asyncio.run(ks.turn_off("cli"))
        _wake_paused_runs(db)
    state = asyncio.run(ks.state())
    out.print(
        f"kill switch {'ON' if state['on'] else 'off'}"
        f"{' — ' + state['reason'] if state.get('reason') else ''}"
    )
    db.dispose()


def _wake_paused_runs(db: Database) -> None:
    """Tell paused runs at once (they also re-check every few minutes on their own)."""
    try:
        asyncio.run(
            _HttpRuntime(db).send_events(
                [{"name": "system.kill_switch.off", "data": {"by": "cli"}}]
            )
        )
    except Exception:
        console.print("[dim]server not reachable: paused runs resume at their next check[/]")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("domains")(domains)
    app.add_typer(dlq_app, name="dlq")
    app.command("kill-switch")(kill_switch)
