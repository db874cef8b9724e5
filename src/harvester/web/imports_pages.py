"""The upload page: a file picker (and drag-and-drop), the upload's progress and its
report, and the recent imports with their source. The form works without JavaScript
(it redirects to the import's page, which refreshes until the import is done);
``static/imports.js`` adds the progress bar and polls ``/api/check-query/``. The body
is read with the upload bounds of ``web/zeeschuimer.py`` (size, and time in all)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from harvester.clock import utcnow
from harvester.jobs.functions.import_runs import ImportState, new_import_id, queue_import
from harvester.store.imported import count_imports, get_import, recent_imports
from harvester.web.dashboard.context import admin_post, page_access
from harvester.web.dashboard.listing import ListQuery, list_query
from harvester.web.dashboard.render import page
from harvester.web.security import CSRF_HEADER, require_admin, require_same_site
from harvester.web.zeeschuimer import (
    MAX_UPLOAD_BYTES,
    check_upload,
    page_url,
    progress_of,
    read_form,
    status_of,
    uploads_dir,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_access)])


# Sort key → descending first? Sorted like every list (web/dashboard/listing.py).
IMPORT_LIST_SORTS = {
    "when": True,
    "file": False,
    "source": False,
    "format": False,
    "state": False,
    "size": True,
}
import_list_query = list_query(IMPORT_LIST_SORTS, "when")


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, lq: ListQuery = Depends(import_list_query)) -> HTMLResponse:
    """The upload form and the imports, sortable and paged."""
    with request.app.state.runtime.db.session() as s:
        total = count_imports(s)
        rows = recent_imports(s, lq.size, sort=lq.sort, descending=lq.descending, offset=lq.offset)
    for r in rows:
        r["status"], r["progress"] = status_of(r), progress_of(r)
    return page(
        request,
        "imports.html",
        imports=rows,
        lq=lq.counted(total),
        limit_mb=MAX_UPLOAD_BYTES >> 20,
    )


def _store_upload(upload: UploadFile, path: Path) -> int:
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)
        return out.tell()


async def _form_file(request: Request) -> UploadFile:
    """The form's file, after the checks of every state-changing form. The body is read
    with the upload bounds (413 past the size, 408 past the time), so a client that
    trickles it cannot hold the request open; admin and same-site are checked before a
    byte of it is read, the CSRF token (a form field) right after."""
    header_token = request.headers.get(CSRF_HEADER, "")
    if header_token:
        admin_post(request, header_token)
    else:
        require_admin(request)
        require_same_site(request)
    form = await read_form(request)
    try:
        if not header_token:
            csrf = form.get("csrf")
            admin_post(request, csrf if isinstance(csrf, str) else "")
        file = form.get("file")
        if not isinstance(file, UploadFile) or not (file.filename or file.size):
            raise HTTPException(400, "no file in the form: choose a file to upload")
    except BaseException:
        await form.close()
        raise
    return file


@router.post("/imports/upload")
async def upload(request: Request) -> Response:
    """Store the chosen file, queue its import; JSON for the page's script, else a
    redirect to the import's page."""
    file = await _form_file(request)
    key = new_import_id()
    name = Path(file.filename or "upload").name[:200] or "upload"
    path = uploads_dir(request) / f"{key}.upload"
    try:
        size = await asyncio.to_thread(_store_upload, file, path)  # up to 1 GB of copying
    except BaseException:
        path.unlink(missing_ok=True)  # a disk full or a cancelled request keeps nothing
        raise
    finally:
        await file.close()
    if not size or size > MAX_UPLOAD_BYTES:
        path.unlink(missing_ok=True)
        why = "the file is empty" if not size else f"over {MAX_UPLOAD_BYTES >> 20} MB"
        raise HTTPException(413 if size else 400, f"{name}: {why}: use `harvester import`")
    try:
        fmt = await asyncio.to_thread(check_upload, path, None)  # reads the file
    except HTTPException as exc:
        raise HTTPException(exc.status_code, f"{name}: {exc.detail}") from exc
    runtime = request.app.state.runtime
    event = queue_import(
        runtime.db, utcnow(), import_id=key, path=path, file_name=name, origin="page", platform=None
    )
    await runtime.send_events([event])
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(
            {"status": "queued", "key": key, "format": fmt, "url": page_url(request, key)}
        )
    return RedirectResponse(f"/imports/{key}", status_code=303)


@router.get("/imports/{key}", response_class=HTMLResponse)
def import_page(request: Request, key: str) -> HTMLResponse:
    """One import: its state while it runs (the page refreshes), then its report."""
    with request.app.state.runtime.db.session() as s:
        row = get_import(s, key[:64])
    if row is None:
        raise HTTPException(404, f"no import {key[:64]!r}")
    row["status"], row["progress"] = status_of(row), progress_of(row)
    done = row["state"] in ImportState.FINISHED
    return page(request, "import.html", imp=row, done=done)
