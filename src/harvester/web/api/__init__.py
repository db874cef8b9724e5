"""``/api/v1``: the harvester's data and operator actions, documented by OpenAPI.
(The engine serves its run API beside it: ``/api/v1/runs``, ``/functions``, ``/events``.)"""

from fastapi import APIRouter, Depends

from harvester.web.api import data, ops, run_ids
from harvester.web.security import api_guard

router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_guard)])
router.include_router(data.router)
router.include_router(ops.router)
router.include_router(run_ids.router)

__all__ = ["router"]
