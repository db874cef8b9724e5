"""The asynchronous worker contract end to end: harvest-comments sends signed jobs,
the worker answers 202 and posts signed results back, the run waits for them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from harvester.clock import OffsetClock, installed_as, unix_now
from harvester.runtime import Runtime, build_runtime, run_once
from harvester.settings import Settings
from harvester.sim.tiktok import create_app as create_sim_app
from harvester.store.models import WorkerResultRow
from harvester.tiktok import ResearchApiSource, WebhookWorkerSource
from harvester.tiktok.webhook import HEADER, sign
from harvester.tiktok.worker import create_worker_app
from harvester.web.app import create_app

from .conftest import FAST_ENGINE, NOW

SECRET = "worker-secret"


class Forward:
    """An ASGI app that forwards to one set later (the harvester and the worker each
    need a client of the other)."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@asynccontextmanager
async def harvester_with_worker(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
    # One moment of the simulated world (which ads have posts depends on it), moving at
    # real speed, for every part of this process: the simulator, the worker's signatures,
    # the engine's timers, the harvester's checks of them.
    with installed_as(OffsetClock(NOW)):
        async with _harvester_with_worker(*args, **kwargs) as out:
            yield out


@asynccontextmanager
async def _harvester_with_worker(
    tmp_path: Path, **overrides: Any
) -> AsyncIterator[tuple[Runtime, Any, httpx.AsyncClient]]:
    settings = Settings(
        data_dir=tmp_path,
        regions="FR",
        api_rate_per_minute=100_000,
        source="webhook",
        worker_webhook_url="http://worker/",
        worker_webhook_secret=SECRET,
        worker_result_timeout_seconds=4.0,
        **overrides,
    )
    to_harvester = Forward()
    sim = create_sim_app(seed=7)
    backing = ResearchApiSource(
        "http://sim", "k", "s", http=httpx.AsyncClient(transport=httpx.ASGITransport(app=sim))
    )
    worker = create_worker_app(
        backing,
        SECRET,
        http=httpx.AsyncClient(transport=httpx.ASGITransport(app=to_harvester)),
    )
    source = WebhookWorkerSource(
        "http://worker/",
        SECRET,
        http=httpx.AsyncClient(transport=httpx.ASGITransport(app=worker), base_url="http://worker"),
        callback_url=settings.effective_worker_callback_url,
    )
    runtime = build_runtime(settings, source=source, engine_config=FAST_ENGINE)
    app = create_app(runtime)
    to_harvester.app = app
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
    try:
        async with app.router.lifespan_context(app):
            yield runtime, worker, client
    finally:
        await client.aclose()
        await runtime.aclose()


def _results(runtime: Runtime) -> list[WorkerResultRow]:
    with runtime.db.session() as s:
        return list(s.scalars(sa.select(WorkerResultRow)))


async def test_harvest_waits_for_the_workers_signed_results(tmp_path: Path) -> None:
    async with harvester_with_worker(tmp_path) as (runtime, _worker, _client):
        summary = await run_once(runtime, {"regions": ["FR"], "limit": 3}, timeout=120)
        results = _results(runtime)
    assert summary.failures == 0
    # At most 3 ads are examined; several ads may promote one post.
    assert 0 < summary.videos <= 3 and summary.comments > 0 and summary.domains > 0
    assert results and all(r.ok for r in results)
    assert all(".page-0-job-0" in r.job_id or ".page-1-job-0" in r.job_id for r in results)


async def test_a_worker_that_never_answers_fails_the_run_into_the_dead_letters(
    tmp_path: Path,
) -> None:
    async with harvester_with_worker(tmp_path) as (runtime, worker, _client):
        # The worker accepts jobs but its results never reach the harvester.
        worker.state.poster._post = _drop
        summary = await run_once(runtime, {"regions": ["FR"], "limit": 1}, timeout=120)
    assert summary.failures == 1 and summary.comments == 0


async def _drop(url: str, result: dict[str, Any]) -> None:
    return None


def _signed(payload: dict[str, Any], secret: str = SECRET, t: int | None = None) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    return {"content": body, "headers": {HEADER: sign(secret, body, t)}}


OK_RESULT = {
    "job_id": "run1.page-0-job-0",
    "ok": True,
    "page": {"comments": [], "cursor": 0, "has_more": False},
}


# Each post is made when the test runs: a signature made at collection would be stale
# (over 5 minutes old) by the time a long suite reaches it.
@pytest.mark.parametrize(
    ("make_post", "status"),
    [
        (lambda: _signed(OK_RESULT, secret="wrong"), 401),
        (lambda: _signed(OK_RESULT, t=int(unix_now()) - 900), 401),
        (lambda: {"content": json.dumps(OK_RESULT).encode(), "headers": {}}, 401),
        (lambda: _signed({**OK_RESULT, "page": None}), 422),
        (lambda: _signed({**OK_RESULT, "job_id": "../../etc"}), 422),
        (lambda: _signed({"job_id": "j", "ok": False}), 422),
    ],
    ids=["wrong-secret", "stale", "unsigned", "no-page", "bad-job-id", "no-error"],
)
async def test_results_are_checked_at_the_boundary(
    tmp_path: Path, make_post: Callable[[], dict[str, Any]], status: int
) -> None:
    async with harvester_with_worker(tmp_path) as (runtime, _worker, client):
        res = await client.post("/worker/results", **make_post())
        assert res.status_code == status, res.text
        assert _results(runtime) == []  # nothing stored


async def test_a_replayed_result_is_refused(tmp_path: Path) -> None:
    async with harvester_with_worker(tmp_path) as (runtime, _worker, client):
        post = _signed(OK_RESULT)
        first = await client.post("/worker/results", **post)
        assert first.status_code == 202 and first.json()["stored"] is True
        assert (await client.post("/worker/results", **post)).status_code == 401
        fresh = _signed(OK_RESULT, t=int(unix_now()) - 1)  # a new signature, same job
        again = await client.post("/worker/results", **fresh)
        assert again.status_code == 202 and again.json()["stored"] is False
        assert len(_results(runtime)) == 1
