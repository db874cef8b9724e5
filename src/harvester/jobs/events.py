"""Event names and payloads of the pipeline, validated at the boundary (pydantic)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

DISCOVERY_REQUESTED = "tiktok/video.discovery.requested"
HARVEST_REQUESTED = "tiktok/comment.harvest.requested"
EXTRACT_REQUESTED = "tiktok/domain.extract.requested"
KILL_SWITCH_ON = "system.kill_switch.on"
KILL_SWITCH_OFF = "system.kill_switch.off"
FUNCTION_FAILED = "inngest/function.failed"
WORKER_RESULT = "tiktok/worker.result"  # data: {"job_id"}; the result itself is stored

MAX_DISCOVERY_LIMIT = 5_000
MAX_WINDOW_DAYS = 30


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DiscoveryRequested(Payload):
    """Manual discovery: optional region, window and a cap on the videos fanned out
    (and on the ads examined, shared out over the regions)."""

    regions: list[str] | None = Field(None, max_length=40)
    start: date | None = None
    end: date | None = None
    limit: int = Field(500, gt=0, le=MAX_DISCOVERY_LIMIT)
    # Spread the daily quota over the day's cycles (cron: always; a manual request: no,
    # it may spend all that is left today, unless it sets this).
    spread_quota: bool | None = None

    @field_validator("regions")
    @classmethod
    def _upper(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        for r in v:
            if not (r == "ALL" or (len(r) == 2 and r.isalpha())):
                raise ValueError(f"region {r!r} is not a two-letter country code or ALL")
        return [r.upper() for r in v]


class HarvestRequested(Payload):
    video_id: str = Field(..., min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
    window: str = Field(..., min_length=1, max_length=32)
    max_pages: int | None = Field(None, ge=1, le=10)


class ExtractRequested(Payload):
    video_id: str = Field(..., min_length=1, max_length=64)
    comment_ids: list[str] = Field(default_factory=list, max_length=1_000)


class KillSwitchChange(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    reason: str = Field("", max_length=500)
    by: str = Field("unknown", max_length=100)
