"""TikTok sources: the official APIs, a webhook worker, and the loopback simulator."""

from harvester.tiktok.budget import InMemoryBudget, RequestBudget
from harvester.tiktok.errors import (
    QuotaExhausted,
    RateLimited,
    SearchExpired,
    SourceAuthError,
    SourceError,
    SourceRejected,
    SourceResponseError,
    SourceUnavailable,
    VideoUnavailable,
)
from harvester.tiktok.factory import make_source
from harvester.tiktok.models import (
    Ad,
    AdDetail,
    AdPage,
    Comment,
    CommentPage,
    LinkRule,
    PromotedVideo,
    Source,
    VideoPage,
)
from harvester.tiktok.research import ResearchApiSource
from harvester.tiktok.webhook import WebhookWorkerSource

__all__ = [
    "Ad",
    "AdDetail",
    "AdPage",
    "Comment",
    "CommentPage",
    "InMemoryBudget",
    "LinkRule",
    "PromotedVideo",
    "QuotaExhausted",
    "RateLimited",
    "RequestBudget",
    "ResearchApiSource",
    "SearchExpired",
    "Source",
    "SourceAuthError",
    "SourceError",
    "SourceRejected",
    "SourceResponseError",
    "SourceUnavailable",
    "VideoPage",
    "VideoUnavailable",
    "WebhookWorkerSource",
    "make_source",
]
