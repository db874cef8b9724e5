"""Operator commands: ``run ID``, ``dlq [replay]``, ``kill-switch``.

They ask the running server when one answers on the configured host/port, else they
read and write the database directly (events they send go into the engine's queue; a
server picks them up when it starts); stderr says which. A read never creates a
database. Exit codes: 0 ok, 1 failure or not found, 2 usage.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from harvester.cli.data_reads import dead_letters, open_database, server_call
from harvester.cli.run_reads import get_run
from harvester.cli.run_view import print_run
from harvester.cli.target import pick
from harvester.cli.terminal import stdout_console
from harvester.guard.killswitch import KillSwitch
from harvester.settings import Settings, get_settings
from harvester.store import Database
from harvester.store.db import StorageError, storage_problem

if TYPE_CHECKING:
    from harvester.runtime import Runtime

T = TypeVar("T")
err = Console(stderr=True)
out = Console()
dlq_app = typer.Typer(help="Dead letters: list them; `dlq replay ID|--all` re-sends them.")
FORMATS = ("table", "json", "csv")


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(message, highlight=False)
    return typer.Exit(code)


# -- run ID -----------------------------------------------------------------------------------


def run(
    run_id: Annotated[
        str, typer.Argument(help="Run id, or any unique start of one (see `harvester runs`).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the run as JSON.")] = False,
) -> None:
    """Show one run: its event, then the step timeline as a waterfall."""
    settings = get_settings()
    if not settings.embedded_engine:
        raise _fail("runs live in your Inngest server (INNGEST_BASE_URL): open its dashboard")
    target = pick(settings)
    try:
        d = get_run(target, run_id)
    finally:
        target.close()
    if as_json:
        typer.echo(json.dumps(d, default=str, ensure_ascii=False))
        raise typer.Exit(1 if d["status"] == "FAILED" else 0)
    # A console made now: it reads the terminal's width (COLUMNS) when the command runs,
    # not when the module was first imported by an earlier command of this process.
    print_run(Console(), d)


def _iso(value: Any) -> str:
    """Dates in JSON as in CSV: ISO 8601."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


# -- operations (work without the server) -------------------------------------------------------


def _operator_runtime(settings: Settings, db: Database) -> Runtime:
    """The one runtime (``harvester.runtime``) on an opened database, its engine not
    started: events it sends wait in the engine's queue until a server runs them."""
    from harvester.runtime import build_runtime

    runtime = build_runtime(settings, db=db)
    if runtime.engine is not None and not runtime.engine.list_functions():
        err.print("[yellow]no functions synced yet:[/] start `harvester up` once")
    return runtime


async def _acting(settings: Settings, db: Database, act: Callable[[Runtime], Awaitable[T]]) -> T:
    runtime = _operator_runtime(settings, db)
    try:
        return await act(runtime)
    finally:
        await runtime.aclose()


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
    target = pick(get_settings())
    try:
        rows = dead_letters(target, status)
    finally:
        target.close()
    if fmt == "json":
        typer.echo(json.dumps(rows, default=_iso, ensure_ascii=False))
        return
    table = Table("id", "function")
    width = max((len(r["run_id"]) for r in rows), default=3)
    table.add_column("run", no_wrap=True, min_width=width)  # whole: `harvester run` takes it
    for column in ("event", "error", "attempts", "status"):
        table.add_column(column)
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
    stdout_console().print(table)
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
    from harvester.jobs.operator_actions import replay_dead_letters

    if (dl_id is None) == (not all_):
        raise _fail("give one dead letter id or --all: harvester dlq replay 12 | --all", 2)
    target = pick(get_settings(), writes=True)
    if target.api is not None:
        path = "/api/v1/dead-letters/" + ("replay" if all_ else f"{dl_id}/replay")
        try:
            n = int(server_call(target.api, "POST", path)["replayed"])
        finally:
            target.close()
        if n == 0:
            raise _fail("nothing replayed: no dead letter is pending (`harvester dlq`)")
        out.print(f"replayed {n} dead letter(s) through {target.api.base}")
        return
    db = open_database(target)
    try:
        with err.status("replaying dead letters…"):
            ids = None if all_ else [dl_id or 0]
            n = asyncio.run(_acting(get_settings(), db, lambda r: replay_dead_letters(r, ids)))
    except Exception as exc:
        cause = storage_problem(exc) or str(exc)
        raise _fail(f"[red]replay failed:[/] {cause}. Check `harvester doctor`.") from exc
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
    from harvester.jobs.operator_actions import set_kill_switch

    if action not in ("on", "off", "status"):
        raise _fail("use: harvester kill-switch on|off|status [--reason TEXT]", 2)
    why = reason or ("from the CLI" if action == "on" else "")
    target = pick(get_settings(), writes=action != "status")
    if target.api is not None:
        try:
            if action == "status":
                state = server_call(target.api, "GET", "/api/v1/kill-switch")
            else:
                body = {"on": action == "on", "reason": why, "by": "cli"}
                state = server_call(target.api, "POST", "/api/v1/kill-switch", body)
        finally:
            target.close()
    else:
        db = open_database(target, create=action != "status")

        async def flip(runtime: Runtime) -> dict[str, Any]:
            await set_kill_switch(runtime, action == "on", why, "cli")
            return await runtime.guard.kill_switch.state()

        try:
            if action == "status":  # a read: the stored row, nothing assembled
                state = asyncio.run(KillSwitch(db).state())
            else:
                state = asyncio.run(_acting(get_settings(), db, flip))
        except StorageError as exc:
            cause = storage_problem(exc) or f"{exc.__class__.__name__}: {exc}"
            raise _fail(f"[red]the kill switch was not changed:[/] {cause}") from exc
        finally:
            db.dispose()
    label = "[red]ON[/]" if state["on"] else "[green]off[/]"
    detail = f" — {state['reason']}" if state.get("reason") else ""
    out.print(f"kill switch {label}{detail}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``run``, ``dlq`` and ``kill-switch`` to the root app (``domains``: domains_cmd)."""
    app.command("run")(run)
    app.add_typer(dlq_app, name="dlq")
    app.command("kill-switch")(kill_switch)
