"""``harvester worker``: serves the webhook contract (see ``webhook.py``) on top of any
``Source`` — the official APIs or the simulator."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, HTTPException, Request

from harvester.engine import safejson
from harvester.tiktok.errors import RateLimited, SourceError
from harvester.tiktok.models import Source
from harvester.tiktok.webhook import HEADER, TOLERANCE_S, verify


def create_worker_app(
    source: Source, secret: str, clock: Callable[[], float] = time.time
) -> FastAPI:
    app = FastAPI(title="harvester worker", docs_url=None, redoc_url=None)
    seen: dict[str, float] = {}

    @app.get("/")
    async def alive() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/")
    async def job(request: Request) -> Any:
        body = await request.body()
        sig = request.headers.get(HEADER, "")
        now = clock()
        if not verify(secret, body, sig, now):
            raise HTTPException(401, "bad or stale signature")
        for s, t in list(seen.items()):
            if now - t > 2 * TOLERANCE_S:
                del seen[s]
        if sig in seen:
            raise HTTPException(401, "replayed signature")
        seen[sig] = now
        try:
            payload = safejson.loads(body)
            return await _run(source, payload)
        except RateLimited as exc:
            raise HTTPException(
                429, str(exc), headers={"Retry-After": str(int(exc.retry_after))}
            ) from exc
        except SourceError as exc:
            raise HTTPException(502, str(exc)) from exc
        except (KeyError, ValueError, TypeError) as exc:
            raise HTTPException(400, f"bad job: {exc}") from exc

    return app


async def _run(source: Source, job: dict[str, Any]) -> dict[str, Any]:
    if job["kind"] == "discover":
        page = await source.discover_page(
            region=str(job["region"]),
            start=date.fromisoformat(job["start"]),
            end=date.fromisoformat(job["end"]),
            max_count=int(job.get("max_count", 50)),
            search_id=job.get("search_id"),
        )
        return page.model_dump(mode="json")
    if job["kind"] == "ad_detail":
        detail = await source.ad_detail(str(job["ad_id"]))
        return detail.model_dump(mode="json")
    if job["kind"] == "advertiser_videos":
        vpage = await source.advertiser_videos(
            str(job["username"]),
            start=date.fromisoformat(job["start"]),
            end=date.fromisoformat(job["end"]),
            cursor=int(job.get("cursor", 0)),
            search_id=job.get("search_id"),
            max_count=int(job.get("max_count", 100)),
        )
        return vpage.model_dump(mode="json")
    if job["kind"] == "comments":
        cpage = await source.comment_page(
            str(job["video_id"]),
            cursor=int(job.get("cursor", 0)),
            max_count=int(job.get("max_count", 100)),
        )
        return cpage.model_dump(mode="json")
    raise ValueError(f"unknown job kind {job['kind']!r}")
