"""Operator commands: ``run ID``, ``domains``, ``dlq [replay]``, ``kill-switch``.

They read and write the database directly, so they work whether or not the server
runs (events they send go into the engine's queue; a running server picks them up at
once, a stopped one when it starts). Exit codes: 0 ok, 1 failure or not found, 2 usage.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from harvester.engine import Engine, EngineConfig
from harvester.guard import Guard
from harvester.settings import Settings, get_settings
from harvester.store import Database, queries, upgrade

err = Console(stderr=True)
out = Console()
dlq_app = typer.Typer(help="Dead letters: list them; `dlq replay ID|--all` re-sends them.")
FORMATS = ("table", "json", "csv")
DOMAIN_COLUMNS = ["name", "mention_count", "first_seen_at", "last_seen_at"]
BAR_WIDTH = 40


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(message)
    return typer.Exit(code)


def _db() -> Database:
    try:
        db = Database(get_settings().effective_database_url)
        upgrade(db)
    except SQLAlchemyError as exc:
        raise _fail(
            f"[red]cannot open the database:[/] {exc.__class__.__name__}: {exc}. "
            "Check DATABASE_URL (`harvester doctor` shows what is configured)."
        ) from exc
    return db


# -- run ID -----------------------------------------------------------------------------------


def run(
    run_id: Annotated[str, typer.Argument(help="Run id (see `harvester runs`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the run as JSON.")] = False,
) -> None:
    """Show one run: its event, then the step timeline as a waterfall."""
    settings = get_settings()
    if not settings.embedded_engine:
        raise _fail("runs live in your Inngest server (INNGEST_BASE_URL): open its dashboard")
    engine = Engine(EngineConfig(database_url=settings.effective_engine_database_url))
    try:
        detail = engine.get_run(run_id)
    finally:
        engine.close()
    if detail is None:
        raise _fail(f"[red]no run {run_id!r}[/]: list recent runs with `harvester runs`")
    d = detail.to_json()
    if as_json:
        typer.echo(json.dumps(d, default=str, ensure_ascii=False))
        raise typer.Exit(1 if d["status"] == "FAILED" else 0)
    _print_run(d)


def _print_run(d: dict[str, Any]) -> None:
    colour = {"COMPLETED": "green", "FAILED": "red", "CANCELLED": "dim"}.get(d["status"], "yellow")
    dur = f" · {d['duration']:.3f} s" if d["duration"] is not None else ""
    out.print(f"[bold]{d['fn_id']}[/] [{colour}]{d['status']}[/]{dur} · attempt {d['attempt']}")
    out.print(
        f"event [cyan]{d['event_name']}[/] {json.dumps((d['event'] or {}).get('data'))[:100]}"
    )
    steps = d["steps"]
    t0 = min([s["started_at"] for s in steps] + [d["created_at"]])
    span = max([s["ended_at"] - t0 for s in steps] + [0.001])
    table = Table("step", "attempt", "start", "duration", "timeline", "result", show_lines=False)
    for s in steps:
        lead = int((s["started_at"] - t0) / span * BAR_WIDTH)
        size = max(1, round((s["ended_at"] - s["started_at"]) / span * BAR_WIDTH))
        bar = " " * lead + ("[red]" if s["error"] else "[green]") + "█" * size + "[/]"
        table.add_row(
            s["name"],
            str(s["attempt"]),
            f"+{(s['started_at'] - t0) * 1000:.0f} ms",
            f"{s['duration'] * 1000:.1f} ms",
            bar,
            _result(s),
        )
    out.print(table)
    if d["error"]:
        out.print(f"[red]error:[/] {d['error'].get('message', d['error'])}")


def _result(step: dict[str, Any]) -> str:
    if step["error"]:
        return "[red]" + str((step["error"] or {}).get("message", ""))[:60] + "[/]"
    return json.dumps(step["output"], default=str, ensure_ascii=False)[:60]


# -- domains ----------------------------------------------------------------------------------


def domains(
    new_today: Annotated[bool, typer.Option("--new-today", help="Only first seen today.")] = False,
    q: Annotated[str | None, typer.Option("--q", "-q", help="Substring of the name.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 50,
    all_: Annotated[bool, typer.Option("--all", help="Every match (ignores --limit).")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """List harvested domains, newest first (json/csv stream; a progress bar on stderr)."""
    if fmt not in FORMATS:
        raise _fail(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})", 2)
    db = _db()
    try:
        with db.session() as s:
            total = queries.count_domains(s, q=q, new_today=new_today)
            want = total if all_ else min(limit, total)
            rows = queries.iter_domains(s, q=q, new_today=new_today, limit=want)
            _emit(_with_progress(rows, want), fmt)
    finally:
        db.dispose()


def _with_progress(rows: Iterator[dict[str, Any]], total: int) -> Iterator[dict[str, Any]]:
    if total < 5000 or not err.is_terminal:
        yield from rows
        return
    columns = (TextColumn("exporting domains"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("export", total=total)
        for row in rows:
            yield row
            progress.advance(task)


def _emit(rows: Iterator[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write("[")
        for i, r in enumerate(rows):
            sys.stdout.write(("," if i else "") + json.dumps(r, default=str, ensure_ascii=False))
        sys.stdout.write("]\n")
    elif fmt == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(DOMAIN_COLUMNS)
        for r in rows:
            w.writerow(
                [r[c].isoformat() if hasattr(r[c], "isoformat") else r[c] for c in DOMAIN_COLUMNS]
            )
    else:
        table = Table(*DOMAIN_COLUMNS)
        for r in rows:
            table.add_row(
                r["name"],
                str(r["mention_count"]),
                _day(r["first_seen_at"]),
                _day(r["last_seen_at"]),
            )
        out.print(table)


def _day(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


# -- operations (work without the server) -------------------------------------------------------


class OfflineRuntime:
    """What ``harvester.jobs.operations`` needs, straight on the databases."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.guard = Guard(
            db=db, redis_url=settings.redis_url, rate_per_minute=settings.api_rate_per_minute
        )

    async def send_events(self, events: list[dict[str, Any]]) -> list[str]:
        """Into the embedded engine's queue, or to the configured Inngest server."""
        if self.settings.embedded_engine:
            engine = Engine(EngineConfig(database_url=self.settings.effective_engine_database_url))
            try:
                if not engine.list_functions():
                    err.print("[yellow]no functions synced yet:[/] start `harvester up` once")
                return list(await engine.send(events))
            finally:
                await engine.stop()
                engine.close()
        import inngest

        from harvester.jobs.client import make_client

        client = make_client(self.settings)
        return list(await client.send([inngest.Event(**e) for e in events]))


@dlq_app.callback(invoke_without_command=True)
def dlq(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="pending or replayed.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List dead letters (failed runs with their event and error)."""
    if ctx.invoked_subcommand:
        return
    if fmt not in ("table", "json") or status not in (None, "pending", "replayed"):
        raise _fail("use: harvester dlq [--status pending|replayed] [--format table|json]", 2)
    db = _db()
    with db.session() as s:
        rows = queries.dead_letters(s, status=status, limit=1000)
    db.dispose()
    if fmt == "json":
        typer.echo(json.dumps(rows, default=str, ensure_ascii=False))
        return
    table = Table("id", "function", "run", "event", "error", "attempts", "status")
    for r in rows:
        error = str(r["error"].get("message", r["error"]))[:60]
        table.add_row(
            str(r["id"]),
            r["fn_id"],
            r["run_id"],
            str(r["event"].get("name", "")),
            error,
            str(r["attempts"]),
            r["status"],
        )
    out.print(table)
    if not rows:
        err.print("no dead letters")


@dlq_app.command("replay")
def dlq_replay(
    dl_id: Annotated[
        int | None, typer.Argument(help="Dead letter id (see `harvester dlq`).")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Replay every pending one.")] = False,
) -> None:
    """Re-send the original events (a running server starts them at once)."""
    from harvester.jobs.operations import replay_dead_letters

    if (dl_id is None) == (not all_):
        raise _fail("give one dead letter id or --all: harvester dlq replay 12 | --all", 2)
    db = _db()
    try:
        with err.status("replaying dead letters…"):
            n = asyncio.run(
                replay_dead_letters(
                    OfflineRuntime(get_settings(), db), None if all_ else [dl_id or 0]
                )
            )
    except Exception as exc:
        raise _fail(f"[red]replay failed:[/] {exc}. Check `harvester doctor`.") from exc
    finally:
        db.dispose()
    if n == 0:
        raise _fail("nothing replayed: no such dead letter, or none pending (`harvester dlq`)")
    out.print(f"replayed {n} dead letter(s)")


def kill_switch(
    action: Annotated[str, typer.Argument(help="on, off or status.")],
    reason: Annotated[str, typer.Option(help="Why (shown on the dashboard).")] = "",
) -> None:
    """Pause (on) or resume (off) every TikTok call; running steps see it within a second."""
    from harvester.jobs.operations import set_kill_switch

    if action not in ("on", "off", "status"):
        raise _fail("use: harvester kill-switch on|off|status [--reason TEXT]", 2)
    db = _db()
    runtime = OfflineRuntime(get_settings(), db)
    try:
        if action != "status":
            why = reason or ("from the CLI" if action == "on" else "")
            asyncio.run(set_kill_switch(runtime, action == "on", why, "cli"))
        state = asyncio.run(runtime.guard.kill_switch.state())
    finally:
        db.dispose()
    label = "[red]ON[/]" if state["on"] else "[green]off[/]"
    detail = f" — {state['reason']}" if state.get("reason") else ""
    out.print(f"kill switch {label}{detail}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``run``, ``domains``, ``dlq`` and ``kill-switch`` to the root app."""
    app.command("run")(run)
    app.command("domains")(domains)
    app.add_typer(dlq_app, name="dlq")
    app.command("kill-switch")(kill_switch)
