"""``harvester worker``: serves the webhook contract (see ``webhook.py``) on top of any
``Source`` — the official APIs or the simulator. A job with ``reply_to`` is accepted
at once (202) and its result posted back, signed, when it is done."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from harvester.clock import PROCESS_CLOCK
from harvester.engine import strict_json_loads
from harvester.tiktok.errors import RateLimited, SourceError, VideoUnavailable
from harvester.tiktok.models import CommentPage, Source
from harvester.tiktok.webhook import HEADER, JOB_ID_PATTERN, TOLERANCE_S, sign, verify

log = structlog.get_logger(__name__)
POST_ATTEMPTS = 3


class ResultPoster:
    """Runs accepted jobs in the background and posts their signed results."""

    def __init__(self, source: Source, secret: str, http: httpx.AsyncClient | None) -> None:
        self._source, self._secret = source, secret
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))
        self.tasks: set[asyncio.Task[None]] = set()

    def accept(self, job: dict[str, Any]) -> None:
        task = asyncio.create_task(self._run(job))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, job: dict[str, Any]) -> None:
        result: dict[str, Any] = {"job_id": job["job_id"]}
        try:
            result |= {"ok": True, "page": await _run(self._source, job)}
        except VideoUnavailable as exc:  # an answer: the harvest marks the video
            result |= {"ok": True, "unavailable": exc.reason}
        except Exception as exc:  # every failure goes back to the harvester, said plainly
            log.warning("worker job failed", job_id=job["job_id"], error=str(exc))
            result |= {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]}
        await self._post(str(job["reply_to"]), result)

    async def _post(self, url: str, result: dict[str, Any]) -> None:
        body = json.dumps(result, default=str).encode()
        for attempt in range(POST_ATTEMPTS):
            headers = {HEADER: sign(self._secret, body), "Content-Type": "application/json"}
            try:
                res = await self._http.post(url, content=body, headers=headers)
                if res.status_code < 500:
                    if res.status_code >= 400:
                        log.error("result refused", status=res.status_code, body=res.text[:300])
                    return
            except httpx.HTTPError as exc:
                log.warning("result not delivered", url=url, error=str(exc))
            await asyncio.sleep(2**attempt)
        log.error("result lost: the harvester will send the job again", job_id=result["job_id"])


def _async_job(payload: Any) -> bool:
    """A job to answer later: it names its ``job_id`` and an http(s) ``reply_to``."""
    if not isinstance(payload, dict) or payload.get("reply_to") is None:
        return False
    if payload.get("kind") != "comments":
        raise ValueError("only comments jobs are answered asynchronously")
    if not re.match(JOB_ID_PATTERN, str(payload.get("job_id", ""))):
        raise ValueError("job_id missing or not made of letters, digits and _.:-")
    if not re.match(r"^https?://", str(payload["reply_to"])):
        raise ValueError("reply_to is not an http(s) URL")
    return True


def create_worker_app(
    source: Source,
    secret: str,
    clock: Callable[[], float] = PROCESS_CLOCK.time,
    http: httpx.AsyncClient | None = None,
) -> FastAPI:
    """``http`` posts the results (injected by tests to reach an in-process harvester)."""
    app = FastAPI(title="harvester worker", docs_url=None, redoc_url=None)
    seen: dict[str, float] = {}
    poster = ResultPoster(source, secret, http)
    app.state.poster = poster

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
            payload = strict_json_loads(body)
            if _async_job(payload):
                poster.accept(payload)
                return JSONResponse({"accepted": payload["job_id"]}, status_code=202)
            return await _run(source, payload)
        except RateLimited as exc:
            raise HTTPException(
                429, str(exc), headers={"Retry-After": str(int(exc.retry_after))}
            ) from exc
        except VideoUnavailable as exc:  # an answer, not a failure: see docs/worker-webhook.md
            raise HTTPException(410, exc.reason) from exc
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
        cpage: CommentPage = await source.comment_page(
            str(job["video_id"]),
            cursor=int(job.get("cursor", 0)),
            max_count=int(job.get("max_count", 100)),
        )
        return cpage.model_dump(mode="json")
    raise ValueError(f"unknown job kind {job['kind']!r}")
