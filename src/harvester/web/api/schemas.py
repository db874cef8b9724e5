"""Response and request bodies of ``/api/v1``: what the OpenAPI schema documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

MAX_ID = 2**63 - 1  # the largest key SQL integer columns hold


class DomainOut(BaseModel):
    id: int
    name: str
    ascii_name: str
    first_seen_at: datetime
    last_seen_at: datetime
    mention_count: int
    kind: str = Field(description="site, shortener or link_in_bio.")
    video_count: int = Field(description="Distinct videos whose comments mention it.")
    advertiser_count: int = Field(description="Distinct advertisers of those videos.")
    blocklisted: bool
    registered_at: datetime | None = Field(description="Creation date from RDAP, if known.")
    registrar: str | None
    age_days: int | None = Field(description="Days since registration, if known.")
    mentions_today: int
    mentions_week: int = Field(description="Mentions over the last 7 days, today included.")
    growth_day: int = Field(description="Mentions today minus yesterday.")
    growth_week: int = Field(description="Mentions this week minus the week before.")
    signals: list[str] = Field(
        description="young, pushed, new_today, spiking, shortener, blocklisted."
    )


class DomainPage(BaseModel):
    data: list[DomainOut]
    total: int = Field(description="How many domains match the filters.")
    next_after: int | None = Field(description="Pass as `after` for the next page (sort=newest).")
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page.")


class MentionOut(BaseModel):
    id: int
    comment_id: str
    video_id: str
    advertiser: str | None
    text: str = Field(description="The comment: hostile text, escape before display.")
    span_start: int
    span_end: int
    matched: str
    host: str
    url: str | None
    obfuscated: bool
    email: bool
    confidence: float
    created_at: datetime
    via_url: str | None = Field(None, description="The shortener URL that led here, if any.")


class DomainVideo(BaseModel):
    video_id: str
    advertiser: str | None
    mentions: int


class DomainDayOut(BaseModel):
    day: str
    mentions: int


class DomainDetail(DomainOut):
    enrichment: dict[str, Any] = Field(
        default_factory=dict, description="dns, rdap, http: each {status, data, fetched_at}."
    )
    resolutions: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Shortener/link-in-bio URLs of this domain and where they lead, "
        "or (for a site) the ones that lead here.",
    )
    mentions: list[MentionOut]
    next_before: int | None
    videos: list[DomainVideo]
    days: list[DomainDayOut]


class CommentOut(BaseModel):
    comment_id: str
    video_id: str
    text: str
    like_count: int | None
    create_time: datetime | None
    harvested_at: datetime
    domains: list[str]
    spans: list[tuple[int, int]] = Field(description="Mention spans [start, end) in `text`.")


class CommentPage(BaseModel):
    data: list[CommentOut]
    next_after: str | None


class VideoOut(BaseModel):
    video_id: str
    ad_id: str | None
    advertiser_name: str | None
    region_code: str | None
    username: str | None
    description: str | None
    url: str | None
    view_count: int | None
    harvest_status: str
    discovered_at: datetime
    last_harvested_at: datetime | None
    comments_harvested: int


class VideoPage(BaseModel):
    data: list[VideoOut]
    next_after: str | None


class AdLinkOut(BaseModel):
    """An ad that promotes the video, and why we think so."""

    ad_id: str
    rule: str = Field(description="account_window, account_near or direct.")
    confidence: float
    region_code: str | None
    first_shown: str | None
    last_shown: str | None
    external_url: str | None
    linked_at: datetime


class VideoDetail(VideoOut):
    harvest_reason: str | None = Field(
        None, description="Why comments are not harvested (video_deleted, ...)."
    )
    links: list[AdLinkOut] = Field(default_factory=list)
    ad_domains: list[str] = Field(
        default_factory=list, description="Outbound domains of the ads (ad.external_url)."
    )
    comments: list[CommentOut]


class DayPoint(BaseModel):
    day: str
    new_domains: int
    active_domains: int
    mentions: int
    comments: int
    runs_completed: int
    runs_failed: int
    success_rate: float | None


class Overview(BaseModel):
    videos: int
    comments: int
    domains: int
    new_domains_today: int
    dead_letters: int
    runs_24h: dict[str, int]
    success_rate: float | None = Field(description="Completed / finished runs, last 24 h.")
    series: list[DayPoint]
    guard: dict[str, Any] = Field(description="Token bucket, breakers, kill switch.")


class DeadLetterOut(BaseModel):
    id: int
    fn_id: str
    run_id: str
    event: dict[str, Any]
    error: dict[str, Any]
    attempts: int
    status: str
    created_at: datetime
    replayed_at: datetime | None
    replay_count: int


class DeadLetterPage(BaseModel):
    data: list[DeadLetterOut]
    next_after: int | None


class Replayed(BaseModel):
    replayed: int


class AlertOut(BaseModel):
    id: int
    key: str
    severity: str
    message: str
    detail: dict[str, Any] | None
    created_at: datetime
    occurrences: int
    delivered: bool


class AlertPage(BaseModel):
    data: list[AlertOut]
    next_after: int | None


class KillSwitchState(BaseModel):
    on: bool
    reason: str = ""
    by: str = ""
    at: str | None = None


class KillSwitchChange(BaseModel):
    on: bool = Field(description="true pauses every TikTok call; false resumes.")
    reason: str = Field("", max_length=500)
    by: str = Field("api", min_length=1, max_length=100)


class Health(BaseModel):
    latest: dict[str, Any] | None = Field(description="The last recorded health check.")
    guard: dict[str, Any]
