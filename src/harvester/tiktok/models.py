"""Typed models of the official API responses (official field names) and the pages the
jobs consume. Validation happens here, at the boundary."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harvester.tiktok.errors import SourceResponseError

_VIDEO_ID = re.compile(r"/video/(\d{5,25})")


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AdVideo(_Wire):
    url: str
    cover_image_url: str | None = None


class AdInfo(_Wire):
    id: str | int
    first_shown_date: str | None = None
    last_shown_date: str | None = None
    status: str | None = None
    videos: list[AdVideo] = Field(default_factory=list)
    reach: dict[str, Any] | None = None


class Advertiser(_Wire):
    business_id: str | int | None = None
    business_name: str | None = None
    paid_for_by: str | None = None


class Ad(_Wire):
    ad: AdInfo
    advertiser: Advertiser = Field(default_factory=Advertiser)


class Video(_Wire):
    id: str | int
    video_description: str | None = None
    create_time: int | None = None
    region_code: str | None = None
    share_count: int | None = None
    view_count: int | None = None
    like_count: int | None = None
    comment_count: int | None = None
    hashtag_names: list[str] | None = None
    username: str | None = None


def _epoch(v: Any) -> datetime | None:
    """Unix seconds (the official APIs) or ISO 8601 (our own worker pages)."""
    if v is None or isinstance(v, datetime):
        return v
    if isinstance(v, str) and not v.isdigit():
        return datetime.fromisoformat(v.replace("Z", "+00:00"))
    return datetime.fromtimestamp(int(v), UTC)


class Comment(_Wire):
    id: str
    video_id: str
    text: str = Field(max_length=20_000)
    like_count: int | None = None
    reply_count: int | None = None
    parent_comment_id: str | None = None
    create_time: datetime | None = None

    @field_validator("create_time", mode="before")
    @classmethod
    def _ts(cls, v: Any) -> datetime | None:
        return _epoch(v)

    @field_validator("id", "video_id", "parent_comment_id", mode="before")
    @classmethod
    def _as_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v


class PromotedVideo(BaseModel):
    """A promoted video as the harvester stores it."""

    video_id: str
    ad_id: str | None = None
    advertiser_name: str | None = None
    region_code: str | None = None
    url: str | None = None
    username: str | None = None
    description: str | None = None
    create_time: datetime | None = None
    view_count: int | None = None
    comment_count: int | None = None


class AdPage(BaseModel):
    videos: list[PromotedVideo]
    has_more: bool
    search_id: str | None = None


class CommentPage(BaseModel):
    comments: list[Comment]
    cursor: int
    has_more: bool


class Source(Protocol):
    """The one interface the jobs use to reach TikTok."""

    name: str

    async def discover_page(
        self,
        *,
        region: str,
        start: Any,
        end: Any,
        max_count: int = 50,
        search_id: str | None = None,
    ) -> AdPage: ...

    async def comment_page(
        self, video_id: str, *, cursor: int = 0, max_count: int = 100
    ) -> CommentPage: ...

    async def ping(self) -> None: ...

    async def aclose(self) -> None: ...


def video_id_from_url(url: str) -> str | None:
    m = _VIDEO_ID.search(url)
    return m.group(1) if m else None


def promoted_videos(ad: Ad, region: str) -> list[PromotedVideo]:
    """The videos of one ad that carry a usable video id."""
    out = []
    for v in ad.ad.videos:
        vid = video_id_from_url(v.url)
        if vid:
            out.append(
                PromotedVideo(
                    video_id=vid,
                    ad_id=str(ad.ad.id),
                    advertiser_name=ad.advertiser.business_name,
                    region_code=region,
                    url=v.url,
                )
            )
    return out


def parse(model: type[BaseModel], data: Any, what: str) -> Any:
    """Validate ``data``; a mismatch is a readable SourceResponseError."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise SourceResponseError(f"malformed {what}: {loc}: {first['msg']}") from exc
