"""Run ids by prefix, like git: ``harvester run 0193ab`` and ``/runs/0193ab`` accept any
unique prefix of a run id (the engine's ``run_ids_with_prefix``)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

router = APIRouter(tags=["runs"])
PREFIX_PATTERN = r"^[0-9A-Za-z_-]{1,40}$"
MAX_MATCHES = 10


class RunIdMatches(BaseModel):
    data: list[str]
    more: bool


def valid_prefix(value: str) -> bool:
    """Could ``value`` be the start of a run id?"""
    return re.fullmatch(PREFIX_PATTERN, value) is not None


@router.get("/run-ids", response_model=RunIdMatches)
def run_ids(
    request: Request,
    prefix: str = Query(..., pattern=PREFIX_PATTERN, description="The start of a run id."),
) -> dict[str, Any]:
    """Run ids starting with ``prefix`` (at most 10, newest first): resolve a short id."""
    engine = request.app.state.runtime.engine
    if engine is None:
        raise HTTPException(404, "runs live in your Inngest server (INNGEST_BASE_URL)")
    ids, more = engine.run_ids_with_prefix(prefix, MAX_MATCHES)
    return {"data": ids, "more": more}
