"""The simulator's answers to the documented endpoints, in the reference's shapes
(numeric dates, string ``has_more`` for ads, CDN media urls, redacted comments), and
the rejections the real API makes."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from harvester.sim.tiktok.data import comment, comment_id
from harvester.sim.tiktok.world import (
    REGIONS,
    SLOT_S,
    AdSpec,
    ad_by_id,
    ads_in_slot,
    day_of,
    n_comments,
    post,
    post_by_id,
    post_state,
    posts_of,
)
from harvester.tiktok.wire import (
    AD_COUNTRIES,
    AD_LIBRARY_START,
    MAX_ADS_PAGE,
    MAX_COMMENTS_PAGE,
    MAX_SEARCH_TERM,
    MAX_VIDEO_WINDOW_DAYS,
    MAX_VIDEOS_PAGE,
)

_AD_FIELDS = set(
    [
        "ad.id",
        "ad.first_shown_date",
        "ad.last_shown_date",
        "ad.status",
        "ad.status_statement",
        "ad.videos",
        "ad.image_urls",
        "ad.reach",
        "advertiser.business_id",
        "advertiser.business_name",
        "advertiser.paid_for_by",
    ]
)
FIELDS = {
    "ad/query": _AD_FIELDS,
    "ad/detail": _AD_FIELDS
    | set(
        [
            "ad.title",
            "ad.external_url",
            "ad.download_url",
            "ad.call_to_action",
            "ad.advertising_objective",
            "advertiser.follower_count",
            "advertiser.avatar_url",
            "advertiser.profile_url",
            "ad_group.targeting_info",
        ]
    ),
    "advertiser/query": {"business_id", "business_name", "country_code"},
    "video/query": set(
        [
            "id",
            "video_description",
            "create_time",
            "region_code",
            "share_count",
            "view_count",
            "like_count",
            "comment_count",
            "music_id",
            "hashtag_names",
            "username",
            "effect_ids",
            "playlist_id",
            "voice_to_text",
            "is_stem_verified",
            "video_duration",
        ]
    ),
    "comment/list": set(
        ["id", "video_id", "text", "like_count", "reply_count", "parent_comment_id", "create_time"]
    ),
}
COMMENT_CURSOR_LIMIT = 1000


class Rejected(Exception):
    """An answer other than data: HTTP status, error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def invalid(message: str) -> Rejected:
    return Rejected(400, "invalid_params", message)


def check_fields(endpoint: str, fields: str) -> set[str]:
    asked = {f.strip() for f in fields.split(",") if f.strip()}
    if not asked:
        raise invalid("fields is required")
    unknown = sorted(asked - FIELDS[endpoint])
    if unknown:
        raise invalid(f"Invalid fields: {','.join(unknown)}")
    return asked


def _ymd(v: Any, what: str) -> date:
    try:
        return datetime.strptime(str(v), "%Y%m%d").date()
    except (TypeError, ValueError) as exc:
        raise invalid(f"{what} must be YYYYMMDD, got {v!r}") from exc


def _count(body: dict[str, Any], default: int, most: int) -> int:
    try:
        n = int(body.get("max_count", default))
    except (TypeError, ValueError) as exc:
        raise invalid("max_count must be an integer") from exc
    if not 1 <= n <= most:
        raise invalid(f"max_count must be between 1 and {most}")
    return n


def _pick(obj: dict[str, Any], asked: set[str], prefix: str) -> dict[str, Any]:
    """Only the requested fields, as the real API answers."""
    return {k: v for k, v in obj.items() if f"{prefix}{k}" in asked or (not prefix and k in asked)}


def filters_key(body: dict[str, Any]) -> str:
    rest = {k: v for k, v in body.items() if k not in ("search_id", "max_count", "cursor")}
    return hashlib.sha1(json.dumps(rest, sort_keys=True).encode()).hexdigest()[:12]


def ad_json(ad: AdSpec, today: date, asked: set[str], detail: bool = False) -> dict[str, Any]:
    a = ad.advertiser
    last = min(ad.last_shown, today)
    media = hashlib.sha1(ad.ad_id.encode()).hexdigest()[:26]
    info = {
        "id": int(ad.ad_id),
        "first_shown_date": int(ad.first_shown.strftime("%Y%m%d")),
        "last_shown_date": int(last.strftime("%Y%m%d")),
        "status": "active" if ad.last_shown >= today else "inactive",
        "videos": [
            {
                "url": f"https://p16-ad-sg.tiktokcdn.example/{media}/?mime_type=video_mp4",
                "cover_image_url": f"https://p16-ad-sg.tiktokcdn.example/{media}.jpeg",
            }
        ],
        "image_urls": [],
        "reach": {"unique_users_seen": f"{(int(ad.ad_id) % 90) + 10}K"},
        "external_url": f"https://www.{a.site}/?utm_source=tiktok&utm_campaign={ad.campaign}",
    }
    advertiser: dict[str, Any] = {
        "business_id": int(a.business_id),
        "business_name": a.name,
        "paid_for_by": a.name,
        "follower_count": 1000 + a.index * 37,
    }
    out: dict[str, Any] = {
        "ad": _pick(info, asked, "ad."),
        "advertiser": _pick(advertiser, asked, "advertiser."),
    }
    if detail and a.username and "advertiser.profile_url" in asked:
        out["advertiser"]["tiktok_account"] = {
            "profile_url": f"https://www.tiktok.com/@{a.username}"
        }
    return out


def query_ads(
    seed: int, body: dict[str, Any], asked: set[str], now: float, cursor: tuple[int, int] | None
) -> tuple[list[dict[str, Any]], tuple[int, int] | None]:
    """A page of ads, newest first, and where the next page starts (or None)."""
    filters = body.get("filters")
    if not isinstance(filters, dict) or not isinstance(
        filters.get("ad_published_date_range"), dict
    ):
        raise invalid("filters.ad_published_date_range is required")
    rng = filters["ad_published_date_range"]
    lo = _ymd(rng.get("min"), "filters.ad_published_date_range.min")
    hi = _ymd(rng.get("max"), "filters.ad_published_date_range.max")
    if lo <= AD_LIBRARY_START:
        raise invalid("filters.ad_published_date_range.min must be after 20221001")
    country = str(filters.get("country_code", "ALL")).upper()
    if country != "ALL" and country not in AD_COUNTRIES:
        raise invalid(f"filters.country_code {country!r} is not supported")
    term = body.get("search_term")
    if term is not None and len(str(term)) > MAX_SEARCH_TERM:
        raise invalid(f"search_term must be at most {MAX_SEARCH_TERM} characters")
    max_count = _count(body, 10, MAX_ADS_PAGE)
    today = day_of(now)
    regions = REGIONS if country == "ALL" else ((country,) if country in REGIONS else ())
    slot, skip = cursor or (int(now // SLOT_S), 0)
    lo_slot = int(datetime.combine(lo, datetime.min.time(), UTC).timestamp() // SLOT_S)
    out: list[dict[str, Any]] = []
    while slot >= lo_slot and regions:
        if day_of(slot * SLOT_S) <= hi:
            ads = [ad for r in regions for ad in ads_in_slot(seed, slot, r)]
            for i, ad in enumerate(ads[skip:], start=skip):
                if len(out) == max_count:
                    return out, (slot, i)
                out.append(ad_json(ad, today, asked))
        slot, skip = slot - 1, 0
    return out, None


def ad_detail(seed: int, body: dict[str, Any], asked: set[str], now: float) -> dict[str, Any]:
    ad = ad_by_id(seed, str(body.get("ad_id", "")))
    if ad is None:
        raise invalid(f"ad_id {body.get('ad_id')!r} does not exist")
    return ad_json(ad, day_of(now), asked, detail=True)


def query_advertisers(seed: int, body: dict[str, Any]) -> dict[str, Any]:
    from harvester.sim.tiktok.world import advertisers

    term = str(body.get("search_term") or "")
    if not term or len(term) > MAX_SEARCH_TERM:
        raise invalid(f"search_term is required, at most {MAX_SEARCH_TERM} characters")
    max_count = _count(body, 10, MAX_ADS_PAGE)
    found = [a for a in advertisers(seed) if term.lower() in a.name.lower()][:max_count]
    return {
        "advertisers": [
            {"business_id": int(a.business_id), "business_name": a.name, "country_code": "FR"}
            for a in found
        ]
    }


def _username(query: Any) -> str:
    conds = query.get("and") if isinstance(query, dict) else None
    if not isinstance(conds, list) or not conds:
        raise invalid("query must have at least one condition")
    for c in conds:
        if not isinstance(c, dict) or c.get("operation") not in ("EQ", "IN"):
            raise invalid("query conditions need operation EQ or IN (this simulator)")
        if c.get("field_name") == "username" and c.get("field_values"):
            return str(c["field_values"][0])
    raise invalid("this simulator answers video/query by username only")


def query_videos(
    seed: int, body: dict[str, Any], asked: set[str], cursor: int
) -> tuple[dict[str, Any], bool]:
    start = _ymd(body.get("start_date"), "start_date")
    end = _ymd(body.get("end_date"), "end_date")
    if end < start or (end - start).days >= MAX_VIDEO_WINDOW_DAYS:
        raise invalid("end_date must be on or after start_date and within 30 days of it")
    max_count = _count(body, 20, MAX_VIDEOS_PAGE)
    lo = int(datetime.combine(start, datetime.min.time(), UTC).timestamp())
    hi = int(datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC).timestamp())
    posts = posts_of(seed, _username(body.get("query")), lo, hi)
    page = posts[cursor : cursor + max_count]
    videos = [
        _pick(
            {
                "id": int(p.video_id),
                "username": p.advertiser.username,
                "create_time": p.create_time,
                "video_description": p.description,
                "region_code": "FR",
                "view_count": 1000 + int(p.video_id) % 50_000,
                "comment_count": n_comments(seed, p.video_id),
            },
            asked,
            "",
        )
        for p in page
    ]
    more = cursor + max_count < len(posts)
    return {"videos": videos, "cursor": cursor + len(page), "has_more": more}, more


def list_comments(seed: int, body: dict[str, Any], asked: set[str]) -> dict[str, Any]:
    if "video_id" in body and "comment_id" in body:
        raise invalid("request either video_id or comment_id, not both")
    vid = body.get("video_id")
    if not isinstance(vid, int) or isinstance(vid, bool):
        raise invalid("video_id must be an int64")
    max_count = _count(body, 10, MAX_COMMENTS_PAGE)
    try:
        cursor = int(body.get("cursor", 0))
    except (TypeError, ValueError) as exc:
        raise invalid("cursor must be an integer") from exc
    found = post_by_id(seed, str(vid))
    if found is None:
        raise Rejected(404, "invalid_params", f"The video {vid} does not exist")
    state = post_state(seed, found.video_id)
    if state == "deleted":
        raise Rejected(404, "invalid_params", f"The video {vid} does not exist or was deleted")
    if state == "undisclosed":
        raise invalid("The comments of this video are not allowed to be disclosed")
    total = min(n_comments(seed, found.video_id), COMMENT_CURSOR_LIMIT)
    end = min(total, cursor + max_count)
    comments = [
        _pick(
            {
                "id": comment_id(found.video_id, j),  # beyond int64: a string id
                "video_id": vid,
                "text": comment(seed, found.video_id, j)[0],
                "like_count": j % 17,
                "reply_count": j % 3,
                "parent_comment_id": vid,
                "create_time": found.create_time + 600 + j * 60,
            },
            asked,
            "",
        )
        for j in range(cursor, end)
    ]
    return {"comments": comments, "cursor": end, "has_more": end < total}


__all__ = ["FIELDS", "Rejected", "post"]
