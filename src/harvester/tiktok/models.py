"""The pages the jobs consume, whatever the source, and the ``Source`` interface.
Validation of external data happens at the boundary (``parse``)."""

from __future__ import annotations

import enum
from contextlib import AbstractAsyncContextManager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field, ValidationError, field_validator

from harvester.tiktok.errors import SourceResponseError
from harvester.tiktok.wire import epoch

if TYPE_CHECKING:
    from harvester.tiktok.capabilities import Capabilities


class LinkRule(enum.StrEnum):
    """Why a video is taken for an ad's promoted post."""

    DIRECT = "direct"  # the source named the post (a worker or an import)
    ACCOUNT_WINDOW = "account_window"  # the advertiser's post inside the ad's shown dates
    ACCOUNT_NEAR = "account_near"  # the advertiser's post a few days around them


class Comment(BaseModel):
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
        return epoch(v)

    @field_validator("id", "video_id", "parent_comment_id", mode="before")
    @classmethod
    def _as_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v


class PromotedVideo(BaseModel):
    """A promoted video as the harvester stores it, with the rule that linked it."""

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
    link_rule: LinkRule = LinkRule.DIRECT
    link_confidence: float = 1.0


class Ad(BaseModel):
    """An ad of the ad library: it names an advertiser, never a post."""

    ad_id: str
    region_code: str | None = None
    advertiser_name: str | None = None
    business_id: str | None = None
    first_shown: date | None = None
    last_shown: date | None = None


class AdDetail(Ad):
    """``ad/detail``: where the advertiser's TikTok account and the ad's link appear."""

    username: str | None = None
    profile_url: str | None = None
    external_url: str | None = None


class AdPage(BaseModel):
    ads: list[Ad] = Field(default_factory=list)
    videos: list[PromotedVideo] = Field(default_factory=list)  # sources that name posts
    has_more: bool = False
    search_id: str | None = None


class VideoPage(BaseModel):
    videos: list[PromotedVideo]
    cursor: int = 0
    has_more: bool = False
    search_id: str | None = None


class CommentPage(BaseModel):
    comments: list[Comment]
    cursor: int
    has_more: bool


class CallGuard(Protocol):
    """What a source needs of ``harvester.guard``: each call to TikTok passes its rate
    limit and circuit breaker (``async with guard.call("comment/list"): ...``)."""

    def call(self, endpoint: str) -> AbstractAsyncContextManager[None]: ...


class Source(Protocol):
    """The one interface the jobs use to reach TikTok.

    ``discover_page`` pages the ad library (``ads``) — a source that knows the posts
    themselves fills ``videos`` instead. For each ad, ``ad_detail`` gives the
    advertiser's account and ``advertiser_videos`` that account's posts in a window
    (≤ 30 days); ``comment_page`` reads a post's comments.
    """

    name: str

    @property
    def capabilities(self) -> Capabilities:
        """What this source can do (``harvester.tiktok.capabilities``)."""
        ...

    async def discover_page(
        self,
        *,
        region: str,
        start: date,
        end: date,
        max_count: int = 50,
        search_id: str | None = None,
    ) -> AdPage: ...

    async def ad_detail(self, ad_id: str) -> AdDetail: ...

    async def advertiser_videos(
        self,
        username: str,
        *,
        start: date,
        end: date,
        cursor: int = 0,
        search_id: str | None = None,
        max_count: int = 100,
    ) -> VideoPage: ...

    async def comment_page(
        self, video_id: str, *, cursor: int = 0, max_count: int = 100
    ) -> CommentPage: ...

    async def ping(self) -> None: ...

    async def aclose(self) -> None: ...


def parse(model: type[BaseModel], data: Any, what: str) -> Any:
    """Validate ``data``; a mismatch is a SourceResponseError naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise SourceResponseError(f"malformed {what}: {loc}: {first['msg']}") from exc
