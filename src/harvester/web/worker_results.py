"""``POST /worker/results``: where asynchronous workers post what a job found. The
signature (the worker secret, as on jobs) is the only credential: a bad, stale or
replayed one is 401 and nothing is stored. A valid result is kept (first one per job
wins) and announced as a ``tiktok/worker.result`` event the waiting harvest matches."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, HTTPException, Request
from pydantic import ValidationError

from harvester.clock import unix_now
from harvester.jobs.events import WORKER_RESULT
from harvester.store.clock import utcnow
from harvester.store.worker_results import put_worker_result
from harvester.tiktok.webhook import HEADER, MAX_RESULT_BYTES, TOLERANCE_S, WorkerResult, verify

log = structlog.get_logger(__name__)
router = APIRouter()


def _check_signature(request: Request, body: bytes) -> None:
    settings = request.app.state.runtime.settings
    if not settings.worker_webhook_secret:
        raise HTTPException(503, "worker results need WORKER_WEBHOOK_SECRET on the harvester")
    sig = request.headers.get(HEADER, "")
    now = unix_now()
    if not verify(settings.worker_webhook_secret.get_secret_value(), body, sig, now):
        raise HTTPException(401, f"bad or stale {HEADER}: sign with WORKER_WEBHOOK_SECRET")
    seen: dict[str, float] = request.app.state.worker_signatures
    for s, t in list(seen.items()):
        if now - t > 2 * TOLERANCE_S:
            del seen[s]
    if sig in seen:
        raise HTTPException(401, "replayed signature")
    seen[sig] = now


@router.post("/worker/results", status_code=202, tags=["worker"])
async def worker_result(request: Request) -> dict[str, object]:
    """A worker's signed result for one job (see docs/worker-webhook.md)."""
    body = await request.body()
    if len(body) > MAX_RESULT_BYTES:
        raise HTTPException(413, f"result larger than {MAX_RESULT_BYTES} bytes")
    _check_signature(request, body)
    try:
        result = WorkerResult.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise HTTPException(422, f"invalid worker result: {field}: {first['msg']}") from exc
    runtime = request.app.state.runtime
    payload = result.model_dump(mode="json", exclude={"job_id", "ok"})
    with runtime.db.session() as s:
        fresh = put_worker_result(s, result.job_id, result.ok, payload, utcnow())
    if fresh:
        await runtime.send_events(
            [
                {
                    "name": WORKER_RESULT,
                    "id": f"worker-result-{result.job_id}",
                    "data": {"job_id": result.job_id},
                }
            ]
        )
    log.info("worker result", job_id=result.job_id, ok=result.ok, duplicate=not fresh)
    return {"job_id": result.job_id, "stored": fresh}
