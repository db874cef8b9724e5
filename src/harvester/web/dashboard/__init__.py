"""Server-rendered dashboard (Jinja2, autoescaped) with light progressive enhancement:
htmx and uPlot, vendored under ``static/vendor`` (no CDN, no inline script: CSP-strict).
Every page works without JavaScript."""

from pathlib import Path

from fastapi import APIRouter, Depends

from harvester.web.dashboard import (
    collect,
    pages_admin,
    pages_data,
    pages_runlist,
    pages_runs,
    pages_search,
)
from harvester.web.dashboard.context import page_access

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False, dependencies=[Depends(page_access)])
for _module in (pages_data, pages_runlist, pages_runs, pages_search, pages_admin, collect):
    router.include_router(_module.router)

__all__ = ["STATIC_DIR", "router"]
