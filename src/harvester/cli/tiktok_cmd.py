"""``harvester sim`` (the loopback TikTok simulator) and ``harvester worker``."""

from __future__ import annotations

import json
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from harvester.settings import SourceKind, get_settings

console = Console(stderr=True)


def sim(
    port: Annotated[int | None, typer.Option(help="Port (default HARVESTER_SIM_PORT).")] = None,
    seed: Annotated[
        int | None, typer.Option(help="Data seed (default HARVESTER_SIM_SEED).")
    ] = None,
    rate_per_minute: Annotated[int | None, typer.Option(help="Answer 429 above this.")] = None,
    fault_5xx_ratio: Annotated[float, typer.Option(min=0, max=1)] = 0.0,
    latency_ms: Annotated[float, typer.Option(min=0)] = 0.0,
    ground_truth: Annotated[
        str | None, typer.Option(help="Write N comments' truth (JSONL).")
    ] = None,
    ground_truth_count: Annotated[int, typer.Option(min=1)] = 10_000,
) -> None:
    """Serve the TikTok API simulator on 127.0.0.1 (official wire format, seeded data)."""
    from harvester.sim.tiktok import Faults, create_app, iter_comments

    s = get_settings()
    the_seed = s.sim_seed if seed is None else seed
    if ground_truth:
        with open(ground_truth, "w", encoding="utf-8") as fh:
            for cid, text, truth in iter_comments(the_seed, ground_truth_count):
                fh.write(
                    json.dumps(
                        {"id": cid, "text": text, "domains": sorted(truth)}, ensure_ascii=False
                    )
                    + "\n"
                )
        console.print(f"ground truth of {ground_truth_count} comments in {ground_truth}")
    faults = Faults(
        rate_per_minute=rate_per_minute, error_5xx_ratio=fault_5xx_ratio, latency_ms=latency_ms
    )
    the_port = port or s.sim_port
    console.print(f"[bold green]simulator[/] on http://127.0.0.1:{the_port} (seed {the_seed})")
    uvicorn.run(
        create_app(seed=the_seed, faults=faults), host="127.0.0.1", port=the_port, log_config=None
    )


def worker(
    port: Annotated[int, typer.Option(help="Port to serve the webhook on.")] = 8300,
    simulator: Annotated[bool, typer.Option(help="Back it with the simulator.")] = False,
) -> None:
    """Serve the webhook-worker contract on 127.0.0.1: HMAC-signed jobs; comment jobs
    with a ``reply_to`` are accepted (202) and their results posted back, signed."""
    import httpx

    from harvester.sim.tiktok import create_app as create_sim_app
    from harvester.tiktok import make_source
    from harvester.tiktok.worker import create_worker_app

    s = get_settings()
    if not s.worker_webhook_secret:
        console.print(
            "[red]set WORKER_WEBHOOK_SECRET[/] (the HMAC secret shared with the harvester)"
        )
        raise typer.Exit(2)
    backend = s.model_copy(
        update={"source": SourceKind.SIMULATOR if simulator else SourceKind.RESEARCH}
    )
    transport = httpx.ASGITransport(app=create_sim_app(seed=s.sim_seed)) if simulator else None
    try:
        source = make_source(backend, None, transport=transport)
    except ValueError as exc:
        console.print(f"[red]{exc}[/] (or use --simulator)")
        raise typer.Exit(2) from exc
    app = create_worker_app(source, s.worker_webhook_secret.get_secret_value())
    console.print(
        f"[bold green]worker[/] on http://127.0.0.1:{port}/ · results go to each job's reply_to"
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None)


def register(app: typer.Typer) -> None:
    app.command("sim")(sim)
    app.command("worker")(worker)
