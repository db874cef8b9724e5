"""4CAT's two endpoints as Zeeschuimer uses them, so its "Upload to 4CAT" button works
with the harvester's address as the 4CAT URL:

- ``POST /api/import-dataset/``: the raw NDJSON as the body (not multipart), the header
  ``X-Zeeschuimer-Platform: tiktok.com`` (or ``tiktok-comments``); answers
  ``{"status": "queued", "key", "url"}``, or 404 "Unknown platform or source format".
- ``GET /api/check-query/?key=K``: polled every second until ``done``; answers
  ``{datasource, status, rows, key, done, progress, url}``.

The body is streamed to a file under the data dir with a size bound and a bound on the
whole body's time (``HARVESTER_UPLOAD_TIMEOUT_SECONDS``: a client that trickles its
body gets 408 and nothing is kept), checked (it must be Zeeschuimer's NDJSON), and
imported by the durable function ``import-file``. Off loopback a token is required, as
4CAT does: ``?access-token=`` or the ``Authorization``/``Authentication`` header, or
the dashboard's login cookie."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData
from starlette.types import Message

from harvester.clock import utcnow
from harvester.jobs.functions.import_runs import ImportState, new_import_id, queue_import
from harvester.store.imported import get_import
from harvester.tiktok.imports import ImportFormat, Refused, detect
from harvester.web.security import check_login, is_admin, token_required

router = APIRouter(tags=["imports"])
PLATFORMS = ("tiktok.com", "tiktok-comments")
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024  # 1 GiB a request; larger exports: `harvester import`
UNKNOWN_PLATFORM = "Unknown platform or source format"
TOKEN_HELP = (
    "a token is required off loopback: add ?access-token=<HARVESTER_ADMIN_TOKEN> to the "
    "4CAT URL, or log in to the dashboard in this browser"
)


def authorised(request: Request) -> bool:
    """On loopback anyone local; else the admin token in any of 4CAT's places."""
    if not token_required(request) or is_admin(request):
        return True
    given = request.query_params.get("access-token") or request.headers.get("authentication")
    bearer = request.headers.get("authorization", "")
    if not given and bearer:
        given = bearer.removeprefix("Bearer ").removeprefix("bearer ").strip()
    return bool(given) and check_login(request, given or "")


def _guard(request: Request) -> None:
    if not authorised(request):
        raise HTTPException(403, TOKEN_HELP)
    origin = request.headers.get("origin", "")
    # The extension's pages send moz-extension:// or chrome-extension:// origins; a web
    # page of another site (which a preflight stops anyway) is refused outright.
    if origin.startswith(("http://", "https://")) and urlsplit(origin).netloc != request.url.netloc:
        raise HTTPException(403, f"uploads from {origin[:80]} are not accepted")


def uploads_dir(request: Request) -> Path:
    d = Path(request.app.state.runtime.settings.data_dir) / "uploads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def upload_seconds(request: Request) -> float:
    """The time an upload's whole body may take (``HARVESTER_UPLOAD_TIMEOUT_SECONDS``)."""
    return float(request.app.state.runtime.settings.upload_timeout_seconds)


def too_slow(seconds: float) -> HTTPException:
    return HTTPException(
        408,
        f"the upload took longer than {seconds:g} s (HARVESTER_UPLOAD_TIMEOUT_SECONDS) and "
        "was dropped, nothing kept: send it again over a faster link, or copy the file to "
        "the server and run `harvester import`",
        headers={"Connection": "close"},
    )


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"upload over {limit >> 20} MB: use `harvester import`")


def _check_length(request: Request, limit: int) -> None:
    """413 before any byte is read when the announced length is over ``limit``."""
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise too_large(limit)


async def store_body(
    request: Request, path: Path, limit: int = MAX_UPLOAD_BYTES, seconds: float | None = None
) -> int:
    """Stream the request body to ``path``; 413 over ``limit`` bytes, 408 when it takes
    longer than ``seconds`` in all; either way nothing is kept."""
    seconds = upload_seconds(request) if seconds is None else seconds
    _check_length(request, limit)
    size = 0
    try:
        async with asyncio.timeout(seconds):
            with path.open("wb") as fh:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        raise too_large(limit)
                    fh.write(chunk)
    except TimeoutError as exc:
        path.unlink(missing_ok=True)
        raise too_slow(seconds) from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return size


async def read_form(request: Request, limit: int = MAX_UPLOAD_BYTES) -> FormData:
    """A multipart form (one file) read with the same bounds as ``store_body``: 413 past
    ``limit`` bytes, 408 past the upload time. Starlette spools the file to an anonymous
    temporary file, closed (and so gone) when the form is dropped or closed."""
    seconds = upload_seconds(request)
    _check_length(request, limit)
    received = 0

    async def bounded() -> Message:
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise too_large(limit)
        return message

    try:
        async with asyncio.timeout(seconds):
            return await Request(request.scope, bounded).form(max_files=1, max_fields=8)
    except TimeoutError as exc:
        raise too_slow(seconds) from exc


def check_upload(path: Path, expected: ImportFormat | None) -> str:
    """The format of a stored upload; 400 (file removed) when it is refused."""
    try:
        detected = detect(path)
        if expected is not None and detected.reader.format is not expected:
            raise Refused(f"this is {detected.reader.title}, not Zeeschuimer's NDJSON")
    except Refused as exc:
        path.unlink(missing_ok=True)
        raise HTTPException(400, str(exc)) from exc
    return str(detected.reader.format)


def page_url(request: Request, key: str) -> str:
    return str(request.base_url).rstrip("/") + f"/imports/{key}"


@router.post("/api/import-dataset/")
async def import_dataset(request: Request) -> JSONResponse:
    """Zeeschuimer's upload: the NDJSON body becomes a queued import (poll check-query)."""
    _guard(request)
    platform = request.headers.get("x-zeeschuimer-platform", "")
    if platform not in PLATFORMS:
        return JSONResponse({"error": UNKNOWN_PLATFORM, "status": "error"}, status_code=404)
    key = new_import_id()
    path = uploads_dir(request) / f"{key}.ndjson"
    if not await store_body(request, path):
        path.unlink(missing_ok=True)
        raise HTTPException(400, "empty upload: Zeeschuimer sent no items")
    # Detection reads the file (a workbook: all of its sheet): off the event loop.
    await asyncio.to_thread(check_upload, path, ImportFormat.ZEESCHUIMER)
    runtime = request.app.state.runtime
    event = queue_import(
        runtime.db,
        utcnow(),
        import_id=key,
        path=path,
        file_name=f"zeeschuimer-{platform}-{key}.ndjson",
        origin="zeeschuimer",
        platform=platform,
    )
    await runtime.send_events([event])
    return JSONResponse({"status": "queued", "key": key, "url": page_url(request, key)})


def status_of(row: dict[str, Any]) -> str:
    """The sentence Zeeschuimer shows while it polls ("Processing upload: …")."""
    state = row["state"]
    if state == ImportState.QUEUED:
        return "queued"
    if state == ImportState.RUNNING:
        return f"importing, {progress_of(row)}% done"
    if state == ImportState.REFUSED:
        return f"refused: {row['error']}"
    r = row["report"] or {}
    return (
        f"done: {r.get('new_videos', 0)} new videos, {r.get('new_comments', 0)} new comments, "
        f"{r.get('promoted_videos', 0)} promoted"
    )


def progress_of(row: dict[str, Any]) -> int:
    if row["state"] in ImportState.FINISHED:
        return 100
    return min(99, 100 * int(row["done_bytes"]) // max(int(row["size"]), 1))


@router.get("/api/check-query/")
async def check_query(request: Request, key: str = Query(..., max_length=64)) -> JSONResponse:
    """The state of an upload, as 4CAT answers it."""
    _guard(request)
    with request.app.state.runtime.db.session() as s:
        row = get_import(s, key)
    if row is None:
        raise HTTPException(404, f"no upload {key[:64]!r}")
    return JSONResponse(
        {
            "datasource": row["platform"] or row["format"] or "",
            "status": status_of(row),
            "rows": row["rows"],
            "key": row["id"],
            "done": row["state"] in ImportState.FINISHED,
            "progress": progress_of(row),
            "url": page_url(request, row["id"]),
            "report": row["report"],
        }
    )
