"""import-file: an uploaded file (Zeeschuimer's "Upload to 4CAT" button, the upload
page) imported as a durable function, so a restart resumes it and the dashboard shows
it like every run. Its progress and report live on the ``import_file`` row, which
``GET /api/check-query/`` and the upload page read."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import inngest
from pydantic import Field

from harvester.clock import monotonic
from harvester.jobs.deps import JobDeps
from harvester.jobs.events import Payload
from harvester.jobs.importer import import_path
from harvester.jobs.steps import RunScope, event_payload
from harvester.store import Database
from harvester.store.imported import create_import, get_import, update_import

FN_ID = "import-file"
IMPORT_REQUESTED = "harvester/import.requested"
PROGRESS_EVERY_S = 0.5


class ImportState:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"
    FINISHED = frozenset({DONE, REFUSED})


class ImportRequested(Payload):
    import_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,32}$")


def new_import_id() -> str:
    return secrets.token_urlsafe(12)


def queue_import(
    db: Database,
    now: datetime,
    *,
    import_id: str,
    path: Path,
    file_name: str,
    origin: str,
    platform: str | None = None,
) -> dict[str, Any]:
    """Record a stored upload as queued; returns the event that starts its import."""
    with db.session() as s:
        create_import(
            s,
            id=import_id,
            file_name=file_name[:255],
            origin=origin,
            platform=platform,
            state=ImportState.QUEUED,
            size=path.stat().st_size,
            done_bytes=0,
            rows=0,
            path=str(path),
            created_at=now,
        )
    return {"name": IMPORT_REQUESTED, "data": {"import_id": import_id}}


def run_import(db: Database, clock: Callable[[], datetime], import_id: str) -> dict[str, Any]:
    """Import the file of ``import_id`` (blocking: run it in a thread); a finished import
    is not redone, so a replayed step returns the same report."""
    with db.session() as s:
        row = get_import(s, import_id)
    if row is None:
        raise inngest.NonRetriableError(f"no import {import_id!r}: it was never queued")
    if row["state"] in ImportState.FINISHED:
        return {"state": row["state"], "rows": row["rows"]}
    path = Path(row["path"] or "")
    if not path.is_file():
        raise inngest.NonRetriableError(f"import {import_id}: its file {path.name} is gone")
    size, last = max(row["size"], 1), [0.0]

    def progress(done: int, total: int) -> None:
        if monotonic() - last[0] >= PROGRESS_EVERY_S:
            last[0] = monotonic()
            with db.session() as s:
                update_import(s, import_id, done_bytes=size * done // max(total, 1))

    with db.session() as s:
        update_import(s, import_id, state=ImportState.RUNNING)
    report = import_path(db, clock, path, name=row["file_name"], progress=progress)
    state = ImportState.REFUSED if report.refused else ImportState.DONE
    with db.session() as s:
        update_import(
            s,
            import_id,
            state=state,
            format=report.format,
            rows=report.rows,
            done_bytes=size,
            report=report.as_dict(),
            error=report.refused,
            finished_at=clock(),
        )
    path.unlink(missing_ok=True)  # the stored upload: what it gave is in the tables now
    return {"state": state, "rows": report.rows, "new_comments": report.new_comments}


def build(client: inngest.Inngest, deps: JobDeps) -> inngest.Function[Any]:
    @client.create_function(
        fn_id=FN_ID,
        name="Import a collector's file",
        retries=2,
        trigger=inngest.TriggerEvent(event=IMPORT_REQUESTED),
    )
    async def import_file(ctx: inngest.Context) -> dict[str, Any]:
        req = event_payload(ctx.event.data, ImportRequested, IMPORT_REQUESTED)
        scope = RunScope(deps, ctx, FN_ID)
        out: dict[str, Any] = await scope.step(
            "import", lambda: asyncio.to_thread(run_import, deps.db, deps.clock, req.import_id)
        )
        return out

    return import_file
