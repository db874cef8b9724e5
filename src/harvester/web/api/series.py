"""Time series the dashboard's charts draw: a function's throughput, failures and
latency (the engine's run history), and queue depth and lag (sampled by the app)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from harvester.clock import unix_now
from harvester.engine import Engine
from harvester.web.api.runs import _engine

router = APIRouter(tags=["runs"])
BUCKETS = 48  # points per function chart


def bucket_for(hours: int) -> float:
    """Bucket width for ``hours`` of history: about 48 points, whole minutes."""
    return max(60.0, math.ceil(hours * 3600 / BUCKETS / 60) * 60)


@router.get("/functions/{fn_id}/series")
def function_series(
    request: Request, fn_id: str, hours: int = Query(24, ge=1, le=24 * 30)
) -> dict[str, Any]:
    """Runs of ``fn_id`` that ended in the last ``hours``, per bucket: completed, failed,
    cancelled, p50/p95 run time and p95 queue time (seconds)."""
    engine = _engine(request)
    if engine.get_function(fn_id) is None:
        raise HTTPException(404, f"function {fn_id!r} not found: see /api/v1/functions")
    return {"bucket_seconds": bucket_for(hours), "series": function_points(engine, fn_id, hours)}


def function_points(engine: Engine, fn_id: str, hours: int) -> list[dict[str, Any]]:
    """The chart points of ``fn_id`` over the last ``hours``, aligned to whole buckets."""
    bucket = bucket_for(hours)
    until = math.ceil(unix_now() / bucket) * bucket
    since = until - math.ceil(hours * 3600 / bucket) * bucket
    points = engine.function_series(fn_id, since, until, bucket)
    return [{**p.to_json(), "ts": p.start, "label": _label(p.start)} for p in points]


@router.get("/queue/series")
def queue_series(request: Request) -> dict[str, Any]:
    """Queue depth (due, queued) and the oldest call's lag, sampled every 15 s over
    the last hour by this server."""
    _engine(request)
    samples = getattr(request.app.state, "queue_samples", None)
    series = samples.series() if samples is not None else []
    return {"series": [{**p, "label": _label(p["ts"])} for p in series]}


def _label(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M")
