"""``harvester engine`` (the engine alone), ``send`` and ``runs``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import httpx
import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from harvester.engine import Engine, EngineConfig, create_engine_app
from harvester.logging_setup import configure_logging
from harvester.settings import get_settings
from harvester.web.api.runs import standalone_router

console = Console(stderr=True)


def engine(
    host: Annotated[str | None, typer.Option(help="Bind address (default HARVESTER_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default HARVESTER_PORT).")] = None,
    database_url: Annotated[str | None, typer.Option(help="Engine database URL.")] = None,
) -> None:
    """Run the Inngest-compatible engine alone; SDK apps sync to it with INNGEST_DEV=1."""
    s = get_settings()
    configure_logging(s.log_level, s.log_format)
    secret = s.inngest_signing_key.get_secret_value() if s.inngest_signing_key else None
    key = s.inngest_event_key.get_secret_value() if s.inngest_event_key else None
    cfg = EngineConfig(
        database_url=database_url or s.effective_engine_database_url,
        host=host or s.host,
        port=port or s.port,
        dev=bool(s.inngest_dev) or not secret,
        signing_key=secret,
        event_key=key,
    )
    console.print(f"[bold green]engine[/] on http://{cfg.host}:{cfg.port} · {cfg.database_url}")
    app = create_engine_app(cfg)
    app.include_router(standalone_router())  # our run API beside the protocol routes
    uvicorn.run(app, host=cfg.host, port=cfg.port, log_config=None)


def send(
    name: Annotated[str, typer.Argument(help="Event name, e.g. tiktok/video.discovery.requested")],
    data: Annotated[str, typer.Option(help="Event data as a JSON object.")] = "{}",
    url: Annotated[str | None, typer.Option(help="Engine URL (default the local one).")] = None,
) -> None:
    """Send one event to the engine."""
    try:
        payload = json.loads(data)
        if not isinstance(payload, dict):
            raise ValueError("must be a JSON object")
    except ValueError as exc:
        console.print(f"[red]--data is not a JSON object:[/] {exc}")
        raise typer.Exit(2) from exc
    s = get_settings()
    base = url or f"http://{s.host}:{s.port}"
    key = s.inngest_event_key.get_secret_value() if s.inngest_event_key else "NO_EVENT_KEY_SET"
    try:
        res = httpx.post(f"{base}/e/{key}", json={"name": name, "data": payload}, timeout=10)
    except httpx.HTTPError as exc:
        console.print(
            f"[red]engine unreachable at {base}:[/] {exc}. Start it with "
            "`harvester up` (or `harvester engine`), or pass --url."
        )
        raise typer.Exit(1) from exc
    body = res.json() if res.content else {}
    if res.status_code != 200:
        console.print(f"[red]refused ({res.status_code}):[/] {body.get('error', res.text)}")
        raise typer.Exit(1)
    typer.echo(json.dumps(body))


def runs(
    fn: Annotated[str | None, typer.Option("--fn", help="Function id.")] = None,
    status: Annotated[str | None, typer.Option(help="QUEUED, RUNNING, COMPLETED, ...")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List recent runs from the engine's database."""
    engine = Engine(EngineConfig(database_url=get_settings().effective_engine_database_url))
    try:
        page = [r.to_json() for r in engine.list_runs(fn=fn, status=status, limit=limit).data]
    finally:
        engine.close()
    if fmt == "json":
        typer.echo(json.dumps(page))
        return
    table = Table("run", "function", "status", "event", "created", "duration")
    for r in page:
        created = datetime.fromtimestamp(r["created_at"], UTC).strftime("%Y-%m-%d %H:%M:%S")
        dur = f"{r['duration']:.3f}s" if r["duration"] else ""
        table.add_row(r["run_id"], r["fn_id"], r["status"], r["event_name"] or "", created, dur)
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command("engine")(engine)
    app.command("send")(send)
    app.command("runs")(runs)
