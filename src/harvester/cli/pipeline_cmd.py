"""``harvester up`` (the main job), ``harvester once`` and ``harvester serve``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import asdict
from typing import Annotated, Any

import httpx
import typer
import uvicorn
from rich.console import Console

from harvester.jobs.events import DISCOVERY_REQUESTED
from harvester.logging_setup import configure_logging
from harvester.runtime import Runtime, build_runtime, run_once, summarize
from harvester.settings import Settings, SourceKind, get_settings
from harvester.web.app import create_app

console = Console(stderr=True)
PROGRESS_EVERY_S = 10.0


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def _require_port(host: str, port: int, what: str, env: str) -> None:
    if not _port_free(host, port):
        console.print(
            f"[red]{what} port {host}:{port} is already in use.[/] Stop the other "
            f"program (another `harvester up`?) or set {env}."
        )
        raise typer.Exit(1)


def _server(app: Any, host: str, port: int) -> uvicorn.Server:
    cfg = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, lifespan="on"
    )
    return uvicorn.Server(cfg)


async def _progress(runtime: Runtime) -> None:
    last = None
    while True:
        await asyncio.sleep(PROGRESS_EVERY_S)
        s = summarize(runtime.db)
        now = (s.videos, s.comments, s.domains, s.failures)
        if now != last:
            console.print(
                f"[dim]progress[/] videos {s.videos} · comments {s.comments} · "
                f"domains {s.domains} (new today {s.new_today}) · "
                f"dead letters {s.failures}"
            )
            last = now


async def _up(settings: Settings, discover_now: bool) -> None:
    servers: list[uvicorn.Server] = []
    if settings.source is SourceKind.SIMULATOR:
        from harvester.tiktok.simulator import create_app as create_sim_app

        _require_port("127.0.0.1", settings.sim_port, "Simulator", "HARVESTER_SIM_PORT")
        servers.append(
            _server(create_sim_app(seed=settings.sim_seed), "127.0.0.1", settings.sim_port)
        )
    _require_port(settings.host, settings.port, "Web/engine", "HARVESTER_PORT")
    runtime = build_runtime(settings)
    web = _server(create_app(runtime), settings.host, settings.port)
    servers.append(web)
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    try:
        while not web.started:
            await asyncio.sleep(0.05)
        url = f"http://{settings.host}:{settings.port}/"
        console.print(
            f"[bold green]harvester up[/]: dashboard {url} · source "
            f"{settings.source} · database {settings.effective_database_url}"
        )
        if discover_now:
            # Automatic, like the cron cycles after it: the day's quota is spread.
            first = {"spread_quota": True}
            await runtime.send_events([{"name": DISCOVERY_REQUESTED, "data": first}])
            console.print("first discovery requested; then every 10 minutes (Ctrl-C stops)")
        progress = asyncio.create_task(_progress(runtime))
        await asyncio.gather(*tasks)
        progress.cancel()
    finally:
        for s in servers:
            s.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
        await runtime.aclose()


def up(
    discover_now: Annotated[
        bool, typer.Option(help="Request a discovery at start instead of waiting for cron.")
    ] = True,
) -> None:
    """Run everything on one machine: engine, functions, simulator, dashboard."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_up(settings, discover_now))


async def _once(settings: Settings, data: dict[str, object], timeout: float) -> dict[str, object]:
    transport = None
    if settings.source is SourceKind.SIMULATOR:
        from harvester.tiktok.simulator import create_app as create_sim_app

        transport = httpx.ASGITransport(app=create_sim_app(seed=settings.sim_seed))
    if settings.source is SourceKind.WEBHOOK and settings.worker_callback_url is None:
        # `once` serves no HTTP, so no worker could post results to it: synchronous jobs.
        settings = settings.model_copy(update={"worker_callback_url": "sync"})
    runtime = build_runtime(settings, source_transport=transport)
    app = create_app(runtime)
    try:
        async with app.router.lifespan_context(app):
            with console.status("running one discovery cycle…"):
                summary = await run_once(runtime, data, timeout=timeout)
    finally:
        await runtime.aclose()
    return asdict(summary)


def once(
    data: Annotated[str, typer.Option(help="JSON data of the discovery event.")] = "{}",
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 600.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run one discovery cycle to completion and print a summary."""
    try:
        payload = json.loads(data)
    except json.JSONDecodeError as exc:
        console.print(f"[red]--data is not valid JSON:[/] {exc}")
        raise typer.Exit(2) from exc
    settings = get_settings()
    configure_logging("WARNING" if not as_json else "ERROR", settings.log_format)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    summary = asyncio.run(_once(settings, payload, timeout))
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        console.print(
            f"videos {summary['videos']} · comments {summary['comments']} · domains "
            f"{summary['domains']} · new today {summary['new_today']} · failures "
            f"{summary['failures']}"
        )
    if summary["failures"]:
        raise typer.Exit(1)


def serve() -> None:
    """Serve the app alone (for Inngest Cloud or a self-hosted server)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    runtime = build_runtime(settings)
    uvicorn.run(create_app(runtime), host=settings.host, port=settings.port, log_config=None)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("once")(once)
    app.command("serve")(serve)
