"""``harvester engine`` (the engine alone), ``send`` and ``runs``."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import typer
import uvicorn
from rich import box
from rich.console import Console
from rich.table import Table

from harvester.cli import serving
from harvester.cli.run_reads import STATUSES, check_status, list_runs
from harvester.cli.server_address import PortOption, UrlOption, find_server
from harvester.cli.target import fail, pick
from harvester.cli.terminal import stdout_console
from harvester.engine import create_engine_app
from harvester.logging_setup import configure_logging
from harvester.runtime import engine_settings
from harvester.settings import get_settings
from harvester.web.api.runs import standalone_router
from harvester.web.event_schemas import data_problem, listeners

console = Console(stderr=True)


def engine(
    host: Annotated[str | None, typer.Option(help="Bind address (default HARVESTER_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default HARVESTER_PORT).")] = None,
    database_url: Annotated[str | None, typer.Option(help="Engine database URL.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Engine processes (default HARVESTER_WORKERS, else the cores)."
        ),
    ] = None,
) -> None:
    """Run the Inngest-compatible engine alone; SDK apps sync to it with INNGEST_DEV=1."""
    from harvester.cli import engine_procs

    s = get_settings()
    changes = {"host": host, "port": port, "engine_database_url": database_url}
    s = s.model_copy(update={k: v for k, v in changes.items() if v is not None})
    configure_logging(s.log_level, s.log_format)
    cfg = engine_settings(s)
    count = workers or engine_procs.default_workers(s)
    console.print(
        f"[bold green]engine[/] on http://{cfg.host}:{cfg.port} · {cfg.database_url} · "
        f"{count} process{'es' if count > 1 else ''}",
        highlight=False,
    )
    app = create_engine_app(cfg)
    app.include_router(standalone_router())  # our run API beside the protocol routes
    extra = engine_procs.spawn("engine", count - 1, s)
    try:
        asyncio.run(_serve(serving.server(app, cfg.host, cfg.port, lifespan="auto")))
    finally:
        engine_procs.stop(extra)


async def _serve(server: uvicorn.Server) -> None:
    """Serve until SIGTERM/SIGINT; the caller's clean-up runs after (no re-raise)."""
    unhook = serving.on_stop_signals([server])
    try:
        await server.serve()
    finally:
        unhook()


def send(
    name: Annotated[str, typer.Argument(help="Event name, e.g. tiktok/video.discovery.requested")],
    data: Annotated[str, typer.Option(help="Event data as a JSON object.")] = "{}",
    url: UrlOption = None,
    port: PortOption = None,
) -> None:
    """Send one event to the engine; our own events are checked against their schema."""
    try:
        payload = json.loads(data)
        if not isinstance(payload, dict):
            raise ValueError("must be a JSON object")
    except ValueError as exc:
        console.print(f"[red]--data is not a JSON object:[/] {exc}")
        raise typer.Exit(2) from exc
    problem = data_problem(name, payload)
    if problem:
        raise fail(f"[red]not sent:[/] {problem}", 2)
    s = get_settings()
    found = find_server(s, url, port)
    base = found.url
    key = s.inngest_event_key.get_secret_value() if s.inngest_event_key else "NO_EVENT_KEY_SET"
    try:
        res = httpx.post(f"{base}/e/{key}", json={"name": name, "data": payload}, timeout=10)
    except httpx.HTTPError as exc:
        console.print(
            f"[red]engine unreachable at {base}[/] ({found.how}): {exc}. Start it with "
            "`harvester up` (or `harvester engine`), or pass --url/--port.",
            highlight=False,
        )
        raise typer.Exit(1) from exc
    body = res.json() if res.content else {}
    if res.status_code != 200:
        console.print(f"[red]{base} refused ({res.status_code}):[/] {body.get('error', res.text)}")
        raise typer.Exit(1)
    ids = ", ".join(body.get("ids", []))
    console.print(f"sent {name} to {base}: event id {ids}", highlight=False)
    _say_who_listens(base, name)
    typer.echo(json.dumps(body))


def _say_who_listens(base: str, name: str) -> None:
    """Name the functions the event triggers, or warn that none does."""
    try:
        res = httpx.get(f"{base}/api/v1/functions", timeout=5)
        functions = res.json()["data"] if res.status_code == 200 else None
    except (httpx.HTTPError, ValueError, KeyError):
        functions = None
    if functions is None:  # not our engine: it cannot tell
        return
    taken = listeners(name, functions)
    if taken:
        console.print(f"[dim]triggers {', '.join(taken)}[/]", highlight=False)
        return
    known = sorted(
        {
            str(t["event"])
            for f in functions
            for t in (f.get("config") or {}).get("triggers", [])
            if t.get("event") and not str(t["event"]).startswith("inngest/")
        }
    )
    console.print(
        f"[yellow]no function is triggered by {name}:[/] it is stored and starts no run "
        f"(it can still resume a run waiting for it). Events functions take: {', '.join(known)}",
        highlight=False,
    )


def runs(
    fn: Annotated[
        str | None, typer.Option("--fn", help="Function id (or its tail: harvest-comments).")
    ] = None,
    status: Annotated[str | None, typer.Option(help=f"One of {', '.join(STATUSES)}.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    url: UrlOption = None,
    port: PortOption = None,
) -> None:
    """List recent runs: from the running server, else the engine's database."""
    if fmt not in ("table", "json"):
        raise fail(f"--format must be table or json (got {fmt!r})", 2)
    check_status(status)
    target = pick(get_settings(), url=url, port=port)
    try:
        page, known = list_runs(target, fn, status, limit)
    finally:
        target.close()
    if fmt == "json":
        typer.echo(json.dumps(page))
        return
    _print_runs(page, known)
    if not page:
        console.print("no runs match")


def _print_runs(page: list[dict[str, Any]], functions: list[str]) -> None:
    """Ids are never cut (they are what `harvester run` takes); on an 80-column terminal
    function ids lose their app's prefix (``--fn`` takes that tail too); piped, nothing is
    cut. Dates come with their times, in UTC like the dashboard."""
    out = stdout_console()
    common = _common_prefix(functions) if len(functions) > 1 else ""
    cut = len(common.rpartition("-")[0]) + 1 if "-" in common else 0
    wide = out.width >= 120
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    table.add_column("run id", no_wrap=True, min_width=len(page[0]["run_id"]) if page else 6)
    table.add_column("function")
    table.add_column("status", no_wrap=True)
    if wide:
        table.add_column("event")
    table.add_column("created (UTC)", no_wrap=True)
    table.add_column("took", no_wrap=True, justify="right")
    for r in page:
        created = datetime.fromtimestamp(r["created_at"], UTC).strftime("%Y-%m-%d %H:%M:%S")
        dur = f"{r['duration']:.2f}s" if r["duration"] is not None else ""
        event = [r["event_name"] or ""] if wide else []
        table.add_row(r["run_id"], r["fn_id"][cut:], r["status"], *event, created, dur)
    out.print(table)


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    n = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first))
    return first[:n]


def register(app: typer.Typer) -> None:
    app.command("engine")(engine)
    app.command("send")(send)
    app.command("runs")(runs)
