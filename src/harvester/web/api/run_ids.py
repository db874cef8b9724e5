"""Run ids by prefix, like git: ``harvester run 0193ab`` and ``/runs/0193ab`` accept any
unique prefix of a run id. A read over the engine's run table as it is today (to move
behind the engine's facade)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from harvester.engine import schema
from harvester.engine.store import Store

router = APIRouter(tags=["runs"])
PREFIX_PATTERN = r"^[0-9A-Za-z_-]{1,40}$"
MAX_MATCHES = 10


class RunIdMatches(BaseModel):
    data: list[str]
    more: bool


def valid_prefix(value: str) -> bool:
    """Could ``value`` be the start of a run id?"""
    return re.fullmatch(PREFIX_PATTERN, value) is not None


def run_ids_with_prefix(
    store: Store, prefix: str, limit: int = MAX_MATCHES
) -> tuple[list[str], bool]:
    """Up to ``limit`` run ids starting with ``prefix`` (newest first), and whether more do."""
    runs = schema.runs
    query = (
        sa.select(runs.c.run_id)
        .where(runs.c.run_id.startswith(prefix, autoescape=True))
        .order_by(runs.c.run_id.desc())
        .limit(limit + 1)
    )
    with store.engine.connect() as conn:
        ids = [str(r[0]) for r in conn.execute(query)]
    return ids[:limit], len(ids) > limit


@router.get("/run-ids", response_model=RunIdMatches)
def run_ids(
    request: Request,
    prefix: str = Query(..., pattern=PREFIX_PATTERN, description="The start of a run id."),
) -> dict[str, Any]:
    """Run ids starting with ``prefix`` (at most 10, newest first): resolve a short id."""
    engine = request.app.state.runtime.engine
    if engine is None:
        raise HTTPException(404, "runs live in your Inngest server (INNGEST_BASE_URL)")
    ids, more = run_ids_with_prefix(engine.store, prefix)
    return {"data": ids, "more": more}
