"""TikTok sources: the official APIs, a webhook worker, and the loopback simulator."""

from harvester.tiktok.errors import (
    QuotaExhausted,
    RateLimited,
    SourceAuthError,
    SourceError,
    SourceResponseError,
    SourceUnavailable,
)
from harvester.tiktok.factory import make_source
from harvester.tiktok.models import (
    Ad,
    AdPage,
    Comment,
    CommentPage,
    PromotedVideo,
    Source,
    Video,
)
from harvester.tiktok.research import ResearchApiSource
from harvester.tiktok.webhook import WebhookWorkerSource

__all__ = [
    "Ad",
    "AdPage",
    "Comment",
    "CommentPage",
    "PromotedVideo",
    "QuotaExhausted",
    "RateLimited",
    "ResearchApiSource",
    "Source",
    "SourceAuthError",
    "SourceError",
    "SourceResponseError",
    "SourceUnavailable",
    "Video",
    "WebhookWorkerSource",
    "make_source",
]
