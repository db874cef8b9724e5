"""One chaos run, whatever the backend: the simulator with its request log, the killed
`harvester serve` processes, a discovery request, kills aimed by progress, the settle,
then the checks — nothing lost or stuck (the counts), no duplicate side effect (the
request log against the engine's history, the quota ledger, the alerts posted)."""

from __future__ import annotations

import random
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from bench.chaos_check import Evidence, Report, check
from bench.chaos_evidence import (
    Databases,
    alert_rows,
    counts,
    no_loss,
    run_videos,
    sql_quota,
    step_history,
)
from bench.chaos_kills import Controller, Plan, settle
from bench.chaos_procs import (
    Procs,
    Tuning,
    WebhookReceiver,
    World,
    base_env,
    free_port,
    sim_command,
    wait_port,
)

from harvester.sim.tiktok import read_log

# Ads the discovery examines per video it finds, on the pinned world (seed 42, the five
# regions below): several ads promote one post. `--videos N` asks for N × this many ads.
ADS_PER_VIDEO = 4.2
REGIONS = "FR,DE,ES,IT,GB"
# The planted source fault: TikTok refuses this video's comments (the simulator's
# ``refused_videos``), so its harvest fails for good, the failure handler stores a dead
# letter and raises one alert; the check wants that alert posted exactly once.
PLANTED_VIDEO = "7999999999999999999"
PLANTED_ALERT = "failed:harvest-comments"


@dataclass
class Setup:
    """What differs between backends."""

    name: str
    dbs: Databases
    env: dict[str, str]  # DATABASE_URL, REDIS_URL
    roles: tuple[str, ...]
    quota: Callable[[], dict[str, tuple[int, int]]] | None = None  # default: the SQL ledger
    between_kills: Callable[[int], None] | None = None  # service restarts, by kill number
    notes: list[str] = field(default_factory=list)


@dataclass
class Options:
    videos: int
    seed: int
    plan: Plan
    latency_ms: float  # every simulated TikTok request
    limit_s: float
    comment_latency_ms: float = 0.0  # more on each comment page: harvesting lasts
    tuning: Tuning = field(default_factory=Tuning)


def run(setup: Setup, opts: Options, data: Path) -> tuple[dict[str, Any], Report]:
    world = World.pinned()
    log = data / "requests.jsonl"
    sim_port = free_port()
    faults = {
        "latency_ms": opts.latency_ms,
        "endpoint_latency_ms": {"comment/list": opts.comment_latency_ms},
        "refused_videos": [PLANTED_VIDEO],
    }
    sim = subprocess.Popen(
        sim_command(world, opts.seed, sim_port, log, faults),
        stdout=(data / "sim.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    hook = WebhookReceiver()
    env = {**base_env(data, sim_port, hook.url, REGIONS), **setup.env}
    env["HARVESTER_SIM_SEED"] = str(opts.seed)
    procs = Procs(world, env, {r: free_port() for r in setup.roles}, data, opts.tuning)
    started, world_start = time.monotonic(), world.now()
    try:
        wait_port(sim_port, "the simulator")
        for role in setup.roles:
            procs.start(role)
        ads = round(opts.videos * ADS_PER_VIDEO)
        events = f"http://127.0.0.1:{procs.ports[setup.roles[0]]}/e/key"
        discovery = {"name": "tiktok/video.discovery.requested", "data": {"limit": ads}}
        httpx.post(events, json=discovery, timeout=30).raise_for_status()

        def plant() -> None:  # the events API of whichever role is up
            planted = {"video_id": PLANTED_VIDEO, "window": "chaos-planted-fault"}
            event = {"name": "tiktok/comment.harvest.requested", "data": planted}
            for port in procs.ports.values():
                try:
                    url = f"http://127.0.0.1:{port}/e/key"
                    httpx.post(url, json=event, timeout=30).raise_for_status()
                    return
                except httpx.HTTPError:
                    continue
            raise SystemExit("could not send the planted fault's event")

        ctl = Controller(setup.dbs, procs, opts.plan, random.Random(opts.seed))
        ctl.after_kill = setup.between_kills
        ctl.on_harvest = plant
        ctl.run(started + opts.limit_s * 0.8)
        if ctl.on_harvest is not None:  # the kills ended before harvesting began
            ctl.on_harvest()
        c, settle_s = settle(setup.dbs, started + opts.limit_s)
    finally:
        procs.stop()
        sim.terminate()
        sim.wait(timeout=30)
        hook.close()
    c = counts(setup.dbs) or c
    ev = Evidence(
        requests=list(read_log(log)),
        steps=step_history(setup.dbs),
        runs=run_videos(setup.dbs),
        kills=ctl.kills,
        quota=setup.quota() if setup.quota else sql_quota(setup.dbs),
        alerts=alert_rows(setup.dbs),
        webhook_posts=list(hook.posts),
        planted_videos=frozenset({PLANTED_VIDEO}),
        expected_alerts=(PLANTED_ALERT,),
    )
    report = check(ev)
    report.problems = no_loss(c, planted_failures=1) + report.problems
    short = {s: n for s, n in ctl.landed.items() if n < opts.plan.wanted(s)}
    if short:
        report.problems.append(f"fewer kills landed than planned: {short} of {opts.plan}")
    discoveries = sum(1 for fn, _ in ev.runs.values() if fn == "discover-videos")
    summary = {
        **c,
        "ads_asked": ads,
        "kills": len(ctl.kills),
        "restart_s_mean": round(sum(procs.restart_s) / max(1, len(procs.restart_s)), 1),
        "restart_s_max": round(max(procs.restart_s, default=0.0), 1),
        "spares_lost": procs.spares_lost,
        "settle_after_last_kill_s": round(settle_s, 1),
        "run_s": round(time.monotonic() - started, 1),
        "discovery_runs": discoveries,
        "backend": setup.name,
        "notes": setup.notes,
        "kill_runs": {k.n: sorted(k.runs) for k in ctl.kills},
        "kill_at": {k.n: k.at for k in ctl.kills},
        "kills_at": [
            (k.n, k.role, "+".join(k.stages), len(k.runs), round(k.at - world_start, 1))
            for k in ctl.kills
        ],
    }
    return summary, report
