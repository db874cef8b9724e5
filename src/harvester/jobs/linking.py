"""From an ad to the posts it promotes, with official fields only: ``ad/detail`` gives
the advertiser's account, ``video/query`` that account's posts around the ad's shown
dates; each candidate is linked with the rule that matched and a confidence."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import structlog

from harvester.domains.normalize import parse_host
from harvester.jobs.calls import call_tiktok
from harvester.jobs.deps import JobDeps
from harvester.store.ads import accounts_of, record_ad_domain, record_link_outcome
from harvester.store.states import LinkStatus
from harvester.tiktok import (
    AdDetail,
    LinkRule,
    PromotedVideo,
    SearchExpired,
    SourceRejected,
    SourceUnavailable,
    VideoPage,
)

log = structlog.get_logger(__name__)

LEAD_DAYS = 7  # a Spark ad's post is published at most this long before it is shown
MAX_LINKS_PER_AD = 2
MAX_VIDEO_PAGES = 2


def window(detail: AdDetail, today: date) -> tuple[date, date]:
    """The ≤ 30-day ``video/query`` window around the ad's shown dates."""
    first = detail.first_shown or detail.last_shown or today
    last = min(detail.last_shown or first, today)
    start = first - timedelta(days=LEAD_DAYS)
    return start, max(start, min(last, start + timedelta(days=29)))


def candidates(detail: AdDetail, videos: list[PromotedVideo]) -> list[PromotedVideo]:
    """The advertiser's posts that may be the ad's, best first, with rule + confidence."""
    first = detail.first_shown
    if first is None:
        return []
    last = detail.last_shown or first
    scored = []
    for v in videos:
        if v.create_time is None:
            continue
        made = v.create_time.date()
        if first - timedelta(days=1) <= made <= last:
            # Published just before the ad is first shown: most likely the ad's own post.
            close = made <= first
            rule, conf = LinkRule.ACCOUNT_WINDOW, 0.9 if close else 0.6
        elif first - timedelta(days=LEAD_DAYS) <= made < first:
            rule, conf = LinkRule.ACCOUNT_NEAR, 0.4
        else:
            continue
        scored.append(
            v.model_copy(
                update={
                    "ad_id": detail.ad_id,
                    "advertiser_name": detail.advertiser_name,
                    "link_rule": rule,
                    "link_confidence": conf,
                }
            )
        )
    scored.sort(
        key=lambda v: (-v.link_confidence, abs((v.create_time.date() - first).days))  # type: ignore[union-attr]
    )
    # A post inside the shown dates beats any earlier one: keep the nearer rule only.
    best = [v for v in scored if v.link_rule == scored[0].link_rule] if scored else []
    return best[: MAX_LINKS_PER_AD if best and best[0].link_rule == LinkRule.ACCOUNT_WINDOW else 1]


async def _account_posts(
    deps: JobDeps, username: str, start: date, end: date
) -> list[PromotedVideo]:
    """Up to two pages of the account's posts; an expired search restarts from the
    last good cursor without its search id."""
    out: list[PromotedVideo] = []
    cursor, search_id, restarted = 0, None, False
    for _ in range(MAX_VIDEO_PAGES + 1):

        async def fetch(c: int = cursor, s: str | None = search_id) -> VideoPage:
            return await deps.source.advertiser_videos(
                username, start=start, end=end, cursor=c, search_id=s
            )

        try:
            page = await call_tiktok("video/query", fetch)
        except SearchExpired:
            if restarted:
                raise
            search_id, restarted = None, True
            continue
        out += page.videos
        if not page.has_more or len(out) >= MAX_VIDEO_PAGES * 100:
            break
        cursor, search_id = page.cursor, page.search_id
    return out


def _record_outbound(deps: JobDeps, detail: AdDetail) -> None:
    """The ad's own link (``ad.external_url``) is a domain mention of its own kind."""
    url = detail.external_url
    host = parse_host(urlsplit(url).hostname or "") if url else None
    if host is None or url is None:
        return
    with deps.db.session() as s:
        record_ad_domain(s, detail.ad_id, host.domain, host.ascii_domain, url, deps.clock())


class Lookups:
    """What one chunk of ads already asked: accounts by advertiser, posts by window.
    Ads of one advertiser share one ``ad/detail``; ads of one campaign one
    ``video/query`` (a day's quota is 1,000 requests)."""

    def __init__(self, accounts: dict[str, str | None]) -> None:
        self.accounts = accounts
        self.posts: dict[tuple[str, date, date], list[PromotedVideo]] = {}


async def link_ads(deps: JobDeps, ads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Link a chunk of ads. An ad whose lookups hit a 5xx or timeout stays unlinked and
    is tried again next cycle (backoff), instead of failing the whole chunk."""
    with deps.db.session() as s:
        known = accounts_of(s, [a["business_id"] for a in ads if a.get("business_id")])
    lookups = Lookups(known)
    out: list[dict[str, Any]] = []
    for ad in ads:
        try:
            out += await link_ad(deps, ad, lookups)
        except (SourceUnavailable, SearchExpired) as exc:
            log.warning("ad not linked this cycle", ad_id=ad["ad_id"], error=str(exc))
    return out


async def _detail(deps: JobDeps, ad: dict[str, Any], lookups: Lookups) -> AdDetail | str:
    """The ad's detail, from ``ad/detail`` or from what is known of its advertiser;
    a string says why the API refused this ad."""
    bid = ad.get("business_id")
    if bid and bid in lookups.accounts:
        return AdDetail.model_validate({**ad, "username": lookups.accounts[bid]})

    async def detail_or_reason() -> AdDetail | str:
        try:
            return await deps.source.ad_detail(ad["ad_id"])
        except SourceRejected as exc:
            if exc.code != "invalid_params":
                raise  # scope or credentials: the whole run cannot succeed
            return str(exc)  # this ad only: record why and move on

    detail = await call_tiktok("ad/detail", detail_or_reason)
    if isinstance(detail, AdDetail):
        detail = detail.model_copy(
            update={"ad_id": ad["ad_id"], "region_code": ad.get("region_code")}
        )
        _record_outbound(deps, detail)
        if bid:
            lookups.accounts[bid] = detail.username
    return detail


async def link_ad(deps: JobDeps, ad: dict[str, Any], lookups: Lookups) -> list[dict[str, Any]]:
    """Link one ad; records its outcome and returns the linked videos (JSON)."""
    ad_id = ad["ad_id"]
    detail = await _detail(deps, ad, lookups)
    if isinstance(detail, str):
        with deps.db.session() as s:
            record_link_outcome(s, ad_id, LinkStatus.REFUSED, deps.clock(), reason=detail)
        return []
    if not detail.username:
        with deps.db.session() as s:
            record_link_outcome(
                s,
                ad_id,
                LinkStatus.NO_ACCOUNT,
                deps.clock(),
                reason="ad/detail names no TikTok account (advertiser.tiktok_account)",
                external_url=detail.external_url,
            )
        return []
    start, end = window(detail, deps.clock().date())
    key = (detail.username, start, end)
    if key not in lookups.posts:
        lookups.posts[key] = await _account_posts(deps, detail.username, start, end)
    found = candidates(detail, lookups.posts[key])
    with deps.db.session() as s:
        record_link_outcome(
            s,
            ad_id,
            LinkStatus.LINKED if found else LinkStatus.NO_MATCH,
            deps.clock(),
            reason=None if found else f"no post of @{detail.username} from {start} to {end}",
            username=detail.username,
            external_url=detail.external_url,
        )
    region = ad.get("region_code")
    return [v.model_copy(update={"region_code": region}).model_dump(mode="json") for v in found]
