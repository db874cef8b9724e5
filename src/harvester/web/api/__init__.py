"""``/api/v1``: the harvester's data, operator actions and the embedded engine's runs
(``/runs``, ``/functions``, ``/events``), documented by OpenAPI."""

from fastapi import APIRouter, Depends

from harvester.web.api import data, operator, run_ids, runs, series
from harvester.web.security import api_guard

router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_guard)])
router.include_router(data.router)
router.include_router(operator.router)
router.include_router(run_ids.router)
router.include_router(runs.router)
router.include_router(series.router)

__all__ = ["router"]
