"""TikTok sources: the official APIs, a webhook worker, and collectors' files (imports).
Its names load on first use: a command that needs one part (doctor asks a source's
capabilities) does not import the HTTP clients, the quota seam or the importers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from harvester.tiktok.quota import InMemoryQuota, QuotaSpender
    from harvester.tiktok.research import ResearchApiSource
    from harvester.tiktok.webhook import WebhookWorkerSource

_WHERE = {
    "Ad": "harvester.tiktok.models",
    "AdDetail": "harvester.tiktok.models",
    "AdPage": "harvester.tiktok.models",
    "Comment": "harvester.tiktok.models",
    "CommentPage": "harvester.tiktok.models",
    "InMemoryQuota": "harvester.tiktok.quota",
    "LinkRule": "harvester.tiktok.models",
    "PromotedVideo": "harvester.tiktok.models",
    "QuotaExhausted": "harvester.tiktok.errors",
    "RateLimited": "harvester.tiktok.errors",
    "QuotaSpender": "harvester.tiktok.quota",
    "ResearchApiSource": "harvester.tiktok.research",
    "SearchExpired": "harvester.tiktok.errors",
    "Source": "harvester.tiktok.models",
    "SourceAuthError": "harvester.tiktok.errors",
    "SourceError": "harvester.tiktok.errors",
    "SourceRejected": "harvester.tiktok.errors",
    "SourceResponseError": "harvester.tiktok.errors",
    "SourceUnavailable": "harvester.tiktok.errors",
    "VideoPage": "harvester.tiktok.models",
    "VideoUnavailable": "harvester.tiktok.errors",
    "WebhookWorkerSource": "harvester.tiktok.webhook",
    "make_source": "harvester.tiktok.factory",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'harvester.tiktok' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Ad",
    "AdDetail",
    "AdPage",
    "Comment",
    "CommentPage",
    "InMemoryQuota",
    "LinkRule",
    "PromotedVideo",
    "QuotaExhausted",
    "QuotaSpender",
    "RateLimited",
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
