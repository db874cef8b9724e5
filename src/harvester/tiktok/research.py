"""A ``Source`` on TikTok's official APIs: the Commercial Content API (``ad/query``,
``ad/detail``, ``advertiser/query``) and the Research API (``video/query``,
``video/comment/list``), every request through ``OfficialApi.post``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx

from harvester.clock import PROCESS_CLOCK
from harvester.tiktok import capabilities as caps
from harvester.tiktok.errors import SourceRejected
from harvester.tiktok.models import (
    Ad,
    AdDetail,
    AdPage,
    CallGuard,
    Comment,
    CommentPage,
    PromotedVideo,
    VideoPage,
    parse,
)
from harvester.tiktok.official import TIMEOUT, OfficialApi
from harvester.tiktok.quota import COMMERCIAL, RESEARCH, InMemoryQuota, QuotaSpender
from harvester.tiktok.wire import (
    AD_COUNTRIES,
    AD_DETAIL_FIELDS,
    AD_LIBRARY_START,
    AD_QUERY_FIELDS,
    ADVERTISER_FIELDS,
    COMMENT_FIELDS,
    MAX_ADS_PAGE,
    MAX_COMMENTS_PAGE,
    MAX_SEARCH_TERM,
    MAX_VIDEO_WINDOW_DAYS,
    MAX_VIDEOS_PAGE,
    VIDEO_FIELDS,
    AdItem,
    AdQueryData,
    AdvertiserItem,
    AdvertiserQueryData,
    CommentListData,
    VideoQueryData,
    username_of,
)

__all__ = ["TIMEOUT", "ResearchApiSource"]

AD_QUERY = "/v2/research/adlib/ad/query/"
AD_DETAIL = "/v2/research/adlib/ad/detail/"
ADVERTISER_QUERY = "/v2/research/adlib/advertiser/query/"
VIDEO_QUERY = "/v2/research/video/query/"
COMMENT_LIST = "/v2/research/video/comment/list/"


def _ymd(d: date) -> str:
    return d.strftime("%Y%m%d")


def _ad(item: AdItem, region: str | None) -> Ad:
    return Ad(
        ad_id=item.ad.id,
        region_code=region,
        advertiser_name=item.advertiser.business_name or item.advertiser.paid_for_by,
        business_id=item.advertiser.business_id,
        first_shown=item.ad.first_shown_date,
        last_shown=item.ad.last_shown_date,
    )


class ResearchApiSource:
    """The official APIs (or the simulator, which speaks the same wire)."""

    name = "research"

    def __init__(
        self,
        base_url: str,
        client_key: str,
        client_secret: str,
        *,
        http: httpx.AsyncClient | None = None,
        guard: CallGuard | None = None,
        quota: QuotaSpender | None = None,
        clock: Callable[[], float] = PROCESS_CLOCK.time,
        daily_quota: int = 1000,
        deadline: float = 30.0,
        capabilities: caps.Capabilities = caps.RESEARCH,
    ) -> None:
        # The simulator speaks this wire format too: the factory says which it is.
        self._capabilities = capabilities
        self.api = OfficialApi(
            base_url,
            client_key,
            client_secret,
            http=http,
            guard=guard,
            quota=quota or InMemoryQuota(daily_quota, clock),
            clock=clock,
            deadline=deadline,
        )

    @property
    def capabilities(self) -> caps.Capabilities:
        return self._capabilities

    async def discover_page(
        self,
        *,
        region: str,
        start: date,
        end: date,
        max_count: int = 50,
        search_id: str | None = None,
    ) -> AdPage:
        """One page of ``ad/query`` for a country and a published-date range."""
        country = region.upper()
        if country != "ALL" and country not in AD_COUNTRIES:
            raise SourceRejected(
                f"ad/query: country {country!r} is not in the ad library (EEA, GB, CH, or "
                "ALL); fix HARVESTER_REGIONS",
                "invalid_params",
            )
        lo = max(start, AD_LIBRARY_START + timedelta(days=1))
        body: dict[str, Any] = {
            "filters": {
                "ad_published_date_range": {"min": _ymd(lo), "max": _ymd(max(lo, end))},
                "country_code": country,
            },
            "max_count": max(1, min(max_count, MAX_ADS_PAGE)),
        }
        if search_id:
            body["search_id"] = search_id
        data = await self.api.post(COMMERCIAL, "ad/query", AD_QUERY, AD_QUERY_FIELDS, body, "ads")
        page: AdQueryData = parse(AdQueryData, data, "ad/query data")
        return AdPage(
            ads=[_ad(a, country) for a in page.ads],
            has_more=page.has_more,
            search_id=page.search_id,
        )

    async def ad_detail(self, ad_id: str) -> AdDetail:
        """``ad/detail``: the advertiser's TikTok account and the ad's outbound link."""
        body = {"ad_id": int(ad_id) if ad_id.isdigit() else ad_id}
        data = await self.api.post(COMMERCIAL, "ad/detail", AD_DETAIL, AD_DETAIL_FIELDS, body, "")
        item: AdItem = parse(AdItem, data, "ad/detail data")
        adv = item.advertiser
        profile = (adv.tiktok_account.profile_url if adv.tiktok_account else None) or (
            adv.profile_url
        )
        return AdDetail(
            **_ad(item, None).model_dump(),
            username=username_of(adv),
            profile_url=profile,
            external_url=item.ad.external_url,
        )

    async def advertisers(self, search_term: str, max_count: int = 50) -> list[AdvertiserItem]:
        """``advertiser/query`` by name (it carries no account or username)."""
        term = search_term.strip()
        if not term or len(term) > MAX_SEARCH_TERM:
            raise SourceRejected(
                f"advertiser/query: search_term must be 1..{MAX_SEARCH_TERM} characters",
                "invalid_params",
            )
        body = {"search_term": term, "max_count": max(1, min(max_count, MAX_ADS_PAGE))}
        data = await self.api.post(
            COMMERCIAL,
            "advertiser/query",
            ADVERTISER_QUERY,
            ADVERTISER_FIELDS,
            body,
            "advertisers",
        )
        return parse(AdvertiserQueryData, data, "advertiser/query data").advertisers  # type: ignore[no-any-return]

    async def advertiser_videos(
        self,
        username: str,
        *,
        start: date,
        end: date,
        cursor: int = 0,
        search_id: str | None = None,
        max_count: int = 100,
    ) -> VideoPage:
        """``video/query`` for one account's posts; the window is cut to 30 days."""
        end = max(start, min(end, start + timedelta(days=MAX_VIDEO_WINDOW_DAYS - 1)))
        body: dict[str, Any] = {
            "query": {
                "and": [{"operation": "EQ", "field_name": "username", "field_values": [username]}]
            },
            "start_date": _ymd(start),
            "end_date": _ymd(end),
            "max_count": max(1, min(max_count, MAX_VIDEOS_PAGE)),
        }
        if cursor:
            body["cursor"] = cursor
        if search_id:
            body["search_id"] = search_id
        data = await self.api.post(
            RESEARCH, "video/query", VIDEO_QUERY, VIDEO_FIELDS, body, "videos"
        )
        page: VideoQueryData = parse(VideoQueryData, data, "video/query data")
        return VideoPage(
            videos=[
                PromotedVideo(
                    video_id=v.id,
                    username=v.username,
                    description=v.video_description,
                    create_time=v.create_time,
                    region_code=v.region_code,
                    view_count=v.view_count,
                    comment_count=v.comment_count,
                    url=f"https://www.tiktok.com/@{v.username or username}/video/{v.id}",
                )
                for v in page.videos
            ],
            cursor=page.cursor,
            has_more=page.has_more,
            search_id=page.search_id,
        )

    async def comment_page(
        self, video_id: str, *, cursor: int = 0, max_count: int = 100
    ) -> CommentPage:
        """``video/comment/list`` (comments carry personal data redacted)."""
        if not video_id.isdigit():
            raise SourceRejected(
                f"comment/list: video_id must be an int64, got {video_id!r}", "invalid_params"
            )
        body = {
            "video_id": int(video_id),
            "max_count": max(1, min(max_count, MAX_COMMENTS_PAGE)),
            "cursor": cursor,
        }
        data = await self.api.post(
            RESEARCH, "comment/list", COMMENT_LIST, COMMENT_FIELDS, body, "comments"
        )
        page: CommentListData = parse(CommentListData, data, "comment/list data")
        return CommentPage(
            comments=[Comment.model_validate(c.model_dump()) for c in page.comments],
            cursor=page.cursor,
            has_more=page.has_more,
        )

    async def ping(self) -> None:
        """Reachability without spending research quota: fetch a token."""
        await self.api.fetch_token()

    async def aclose(self) -> None:
        await self.api.http.aclose()
