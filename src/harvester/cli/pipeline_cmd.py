"""``harvester up`` (the main job), ``harvester once`` and ``harvester serve``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from typing import Annotated, Any

import httpx
import typer
import uvicorn
from rich.console import Console

from harvester.cli import server_address, serving
from harvester.cli.cycle import (
    CycleState,
    discovery_started,
    failed_count,
    human_seconds,
    read_cycle,
)
from harvester.cli.cycle_view import CycleProgress, clock, report_lines
from harvester.cli.target import describe
from harvester.clock import unix_now
from harvester.jobs.events import DISCOVERY_REQUESTED
from harvester.logging_setup import LOG_FILE, configure_logging
from harvester.runtime import Runtime, Summary, build_runtime, summarize
from harvester.settings import Settings, get_settings
from harvester.tiktok.capabilities import capabilities
from harvester.web.app import create_app
from harvester.web.event_schemas import data_problem
from harvester.web.http_protocol import HeaderDeadlineProtocol

console = Console(stderr=True)  # progress and problems
out = Console()  # what the command reports: apart from the log on stderr
CYCLE_TICK_S = 1.0
UP_PROGRESS_EVERY_S = 30.0
# A first cycle of the default simulated world takes minutes on a busy machine.
ONCE_TIMEOUT_S = 1800.0


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


async def _announce_cycles(runtime: Runtime, checked: float, base: Summary) -> None:
    """Say on stdout when a cycle starts and ends (with timestamps), apart from the log
    on stderr; a progress line every few seconds while one runs. ``base``: the totals at
    ``checked``, before any discovery run created since (the first cycle included)."""
    engine = runtime.engine
    if engine is None:
        return
    while True:
        await asyncio.sleep(CYCLE_TICK_S)
        found = await asyncio.to_thread(discovery_started, engine, checked)
        if found is None:
            checked, base = unix_now(), await asyncio.to_thread(summarize, runtime.db)
            continue
        run_id, since = found
        out.print(
            f"{clock()} cycle started (discovery run {run_id})", highlight=False, soft_wrap=True
        )
        view = CycleProgress(out, every=UP_PROGRESS_EVERY_S)
        state = await _watch(runtime, since, base, view)
        end = summarize(runtime.db)
        for line in report_lines(state, unix_now() - since, end.new_today):
            text = f"{clock()} {line}" if line.startswith("cycle") else line
            out.print(text, highlight=False, soft_wrap=True)
        checked, base = unix_now(), end


async def _watch(runtime: Runtime, since: float, base: Summary, view: CycleProgress) -> CycleState:
    """Update ``view`` until the cycle begun at ``since`` has nothing left to do."""
    engine = runtime.engine
    assert engine is not None
    try:
        while True:
            state = read_cycle(engine, since, base, summarize(runtime.db))
            view.update(state)
            if not state.busy and engine.is_idle():
                return state
            await asyncio.sleep(CYCLE_TICK_S)
    finally:
        view.close()


def _address(settings: Settings, host: str | None, port: int | None) -> Settings:
    """The settings with ``--host``/``--port`` applied (like `engine` and `sim`)."""
    update = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    return settings.model_copy(update=update) if update else settings


async def _up(settings: Settings, discover_now: bool, workers: int) -> None:
    servers: list[uvicorn.Server] = []
    extra: list[Any] = []  # the other engine processes (cli/engine_procs.py)
    url = f"http://{settings.host}:{settings.port}/"
    out.print(
        f"[bold green]harvester up[/]: dashboard {url} · source {settings.source} · "
        f"database {describe(settings.effective_database_url)}",
        highlight=False,
        soft_wrap=True,
    )
    if capabilities(settings.source).simulated:
        from harvester.sim.tiktok import create_app as create_sim_app

        _require_port("127.0.0.1", settings.sim_port, "Simulator", "HARVESTER_SIM_PORT")
        servers.append(
            serving.server(create_sim_app(seed=settings.sim_seed), "127.0.0.1", settings.sim_port)
        )
    _require_port(settings.host, settings.port, "Web/engine", "HARVESTER_PORT")
    runtime = build_runtime(settings)
    web = serving.server(create_app(runtime), settings.host, settings.port)
    servers.append(web)
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    boot = asyncio.create_task(_boot(runtime, settings, web, discover_now, workers, extra))
    unhook = serving.on_stop_signals(servers, also=lambda: _cancel(boot))
    cycles: asyncio.Task[None] | None = None
    try:
        with contextlib.suppress(asyncio.CancelledError):
            cycles = await boot
        await asyncio.gather(*tasks)
    finally:
        if cycles is not None:
            cycles.cancel()
        for s in servers:
            s.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
        if extra:
            from harvester.cli import engine_procs

            await asyncio.to_thread(engine_procs.stop, extra)
        await runtime.aclose()
        unhook()
        server_address.remove(settings.data_dir)
        out.print(f"{clock()} stopped", highlight=False)


def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()


async def _boot(
    runtime: Runtime,
    settings: Settings,
    web: uvicorn.Server,
    discover_now: bool,
    workers: int,
    extra: list[Any],
) -> asyncio.Task[None]:
    """Once the web server listens: the worker processes (into ``extra``, so that a stop
    during their start still ends them), the first discovery, then the cycle announcer."""
    while not web.started:
        if web.should_exit:
            raise asyncio.CancelledError
        await asyncio.sleep(0.05)
    if workers > 1:
        await _start_workers(settings, workers - 1, extra)
    url = f"http://{settings.host}:{settings.port}/"
    # doctor, runs, status and send find this server there, whatever its port.
    server_address.write(settings.data_dir, server_address.server_url(settings))
    out.print(f"{clock()} ready: open {url} (Ctrl-C stops)", highlight=False, soft_wrap=True)
    checked, base = unix_now(), await asyncio.to_thread(summarize, runtime.db)
    if discover_now:
        # Automatic, like the cron cycles after it: the day's quota is spread.
        first = {"spread_quota": True}
        await runtime.send_events([{"name": DISCOVERY_REQUESTED, "data": first}])
        out.print(f"{clock()} first discovery requested; then every 10 minutes")
    return asyncio.create_task(_announce_cycles(runtime, checked, base))


async def _start_workers(settings: Settings, count: int, procs: list[Any]) -> None:
    """Start ``count`` more engine processes into ``procs``; say how many take work (a
    worker that could not start is named, and the others go on)."""
    from harvester.cli import engine_procs

    procs.extend(engine_procs.spawn("up", count, settings))
    failed = await asyncio.to_thread(engine_procs.wait_ready, procs)
    running = count - len(failed)
    out.print(
        f"{clock()} {running + 1} engine processes share the queue (--workers {count + 1})",
        highlight=False,
    )
    if failed:
        console.print(
            f"[yellow]{len(failed)} worker process(es) did not start[/] (exit codes "
            f"{failed}): their error is above; this process does their share",
            highlight=False,
        )


def up(
    discover_now: Annotated[
        bool, typer.Option(help="Request a discovery at start instead of waiting for cron.")
    ] = True,
    host: Annotated[str | None, typer.Option(help="Bind address (default HARVESTER_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default HARVESTER_PORT).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Engine processes (default HARVESTER_WORKERS, else the cores)."
        ),
    ] = None,
) -> None:
    """Run everything on one machine: engine, functions, simulator, dashboard."""
    from harvester.cli.engine_procs import default_workers

    settings = _address(get_settings(), host, port)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure_logging(settings.log_level, settings.log_format, settings.data_dir / LOG_FILE)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_up(settings, discover_now, workers or default_workers(settings)))


async def _once(
    settings: Settings, data: dict[str, object], timeout: float
) -> tuple[CycleState, Summary, float, bool]:
    """Run the cycle: its state, the totals after it, its seconds, whether it timed out."""
    transport = None
    if capabilities(settings.source).simulated:
        from harvester.sim.tiktok import create_app as create_sim_app

        transport = httpx.ASGITransport(app=create_sim_app(seed=settings.sim_seed))
    if capabilities(settings.source).callbacks and settings.worker_callback_url is None:
        # `once` serves no HTTP, so no worker could post results to it: synchronous jobs.
        settings = settings.model_copy(update={"worker_callback_url": "sync"})
    # One cycle: no cron fires meanwhile (a */10 discovery would double the wait).
    runtime = build_runtime(
        settings, source_transport=transport, engine_config={"fire_crons": False}
    )
    app = create_app(runtime)
    timed_out = False
    try:
        async with app.router.lifespan_context(app):
            assert runtime.engine is not None
            base, since = summarize(runtime.db), unix_now()
            await runtime.send_events([{"name": DISCOVERY_REQUESTED, "data": data}])
            # Until every run of the cycle ended: an engine with nothing due in the next
            # seconds is "idle" while a failed discovery waits for its retry.
            view = CycleProgress(console)
            try:
                await asyncio.wait_for(_watch(runtime, since, base, view), timeout)
            except TimeoutError:
                timed_out = True
            end = summarize(runtime.db)
            state = read_cycle(runtime.engine, since, base, end)
    finally:
        await runtime.aclose()
    return state, end, unix_now() - since, timed_out


def once(
    data: Annotated[str, typer.Option(help="JSON data of the discovery event.")] = "{}",
    timeout: Annotated[
        float, typer.Option(help="Give up after this many seconds (then exit 1).")
    ] = ONCE_TIMEOUT_S,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    host: Annotated[str | None, typer.Option(help="Address the app syncs on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port it syncs on.")] = None,
) -> None:
    """Run one discovery cycle to completion, showing progress, then a summary.
    Exit 1 when a run of the cycle failed or the cycle did not finish in time."""
    try:
        payload = json.loads(data)
    except json.JSONDecodeError as exc:
        console.print(f"[red]--data is not valid JSON:[/] {exc}")
        raise typer.Exit(2) from exc
    problem = data_problem(DISCOVERY_REQUESTED, payload)
    if problem:
        console.print(f"[red]--data:[/] {problem}", highlight=False)
        raise typer.Exit(2)
    settings = _address(get_settings(), host, port)
    configure_logging("WARNING" if not as_json else "ERROR", settings.log_format)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    console.print(
        f"[dim]one cycle into database {describe(settings.effective_database_url)}[/]",
        highlight=False,
        soft_wrap=True,
    )
    state, end, seconds, timed_out = asyncio.run(_once(settings, payload, timeout))
    failed = failed_count(state)
    if as_json:
        typer.echo(json.dumps(_summary_json(state, end, seconds, timed_out)))
    else:
        for line in report_lines(state, seconds, end.new_today, timed_out):
            out.print(line, highlight=False, soft_wrap=True)
        if timed_out:
            out.print(
                f"[red]timed out after {human_seconds(timeout)}[/] with work left: the "
                "summary above is partial (the rest resumes at the next start; raise "
                "--timeout to wait longer)",
                highlight=False,
                soft_wrap=True,
            )
    if failed or timed_out:
        raise typer.Exit(1)


def _summary_json(
    state: CycleState, end: Summary, seconds: float, timed_out: bool
) -> dict[str, Any]:
    """Totals after the cycle (as before), what this cycle did, and what failed in it."""
    done, total = state.harvests
    return {
        "videos": end.videos,
        "comments": end.comments,
        "domains": end.domains,
        "new_today": end.new_today,
        "failures": failed_count(state),
        "dead_letters": end.failures,
        "timed_out": timed_out,
        "cycle": {
            "seconds": round(seconds, 3),
            "videos": state.videos,
            "harvested": done,
            "harvests": total,
            "comments": state.comments,
            "domains": state.domains,
            "failed": [
                {"run_id": f["run_id"], "fn_id": f["fn_id"], "error": f["error"]}
                for f in state.failed
            ],
        },
    }


def serve() -> None:
    """Serve the app alone (for Inngest Cloud or a self-hosted server)."""
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure_logging(settings.log_level, settings.log_format, settings.data_dir / LOG_FILE)
    runtime = build_runtime(settings)
    out.print(f"serving on {server_address.server_url(settings)}", highlight=False)
    uvicorn.run(
        create_app(runtime),
        host=settings.host,
        port=settings.port,
        log_config=None,
        http=HeaderDeadlineProtocol,
    )


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("once")(once)
    app.command("serve")(serve)
