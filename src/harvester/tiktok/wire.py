"""The official responses' shapes, accepting every documented type variant: ids and
dates as numbers or strings, flags as booleans or ``"true"``/``"false"``. Unknown fields
are ignored; a field of the wrong shape fails with its dotted path."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

# The fields we request, dotted as the reference lists them.
AD_QUERY_FIELDS = (
    "ad.id,ad.first_shown_date,ad.last_shown_date,ad.status,ad.videos,"
    "advertiser.business_id,advertiser.business_name,advertiser.paid_for_by"
)
AD_DETAIL_FIELDS = (
    "ad.id,ad.first_shown_date,ad.last_shown_date,ad.status,ad.external_url,"
    "advertiser.business_id,advertiser.business_name,advertiser.profile_url"
)
ADVERTISER_FIELDS = "business_id,business_name,country_code"
VIDEO_FIELDS = "id,username,create_time,video_description,region_code,view_count,comment_count"
COMMENT_FIELDS = "id,video_id,text,like_count,reply_count,parent_comment_id,create_time"

_PROFILE = re.compile(r"tiktok\.com/@([A-Za-z0-9._]{1,64})")


def flag(v: Any) -> bool:
    """``true``/``false`` as JSON booleans or as the strings of the ad example."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise ValueError(f"expected true/false, got {v!r}")


def ymd(v: Any) -> date | None:
    """YYYYMMDD as a number (the examples) or a string (the tables)."""
    if v is None or v == "":
        return None
    if isinstance(v, date):
        return v
    text = str(v)
    if not re.fullmatch(r"\d{8}", text):
        raise ValueError(f"expected a YYYYMMDD date, got {v!r}")
    return datetime.strptime(text, "%Y%m%d").date()


def as_id(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, int | str) or not str(v).strip():
        raise ValueError(f"expected an id (number or string), got {v!r}")
    return str(v).strip()


def epoch(v: Any) -> datetime | None:
    """Unix seconds as a number or a digit string."""
    if v is None or isinstance(v, datetime):
        return v
    if isinstance(v, str) and not v.isdigit():
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)  # naive is UTC, never local
    return datetime.fromtimestamp(int(v), UTC)


Flag = Annotated[bool, BeforeValidator(flag)]
Ymd = Annotated[date | None, BeforeValidator(ymd)]
Id = Annotated[str, BeforeValidator(as_id)]
OptId = Annotated[str | None, BeforeValidator(lambda v: None if v is None else as_id(v))]
Epoch = Annotated[datetime | None, BeforeValidator(epoch)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AdVideo(Wire):
    url: str  # a CDN media file, never a post id
    cover_image_url: str | None = None


class AdInfo(Wire):
    id: Id
    first_shown_date: Ymd = None
    last_shown_date: Ymd = None
    status: str | None = None
    videos: list[AdVideo] = Field(default_factory=list)
    image_urls: list[str] = Field(default_factory=list)
    external_url: str | None = None


class TikTokAccount(Wire):
    profile_url: str | None = None


class AdAdvertiser(Wire):
    business_id: OptId = None
    business_name: str | None = None
    paid_for_by: str | None = None
    tiktok_account: TikTokAccount | None = None
    profile_url: str | None = None  # tolerated flat, as the field name suggests


class AdItem(Wire):
    ad: AdInfo
    advertiser: AdAdvertiser = Field(default_factory=AdAdvertiser)


class AdQueryData(Wire):
    ads: list[AdItem] = Field(default_factory=list)
    has_more: Flag = False
    search_id: str | None = None


class AdvertiserItem(Wire):
    business_id: Id
    business_name: str | None = None
    country_code: str | None = None


class AdvertiserQueryData(Wire):
    advertisers: list[AdvertiserItem] = Field(default_factory=list)


class VideoItem(Wire):
    id: Id
    username: str | None = None
    create_time: Epoch = None
    video_description: str | None = None
    region_code: str | None = None
    view_count: int | None = None
    comment_count: int | None = None


class VideoQueryData(Wire):
    videos: list[VideoItem] = Field(default_factory=list)
    cursor: int = 0
    has_more: Flag = False
    search_id: str | None = None


class CommentItem(Wire):
    id: Id
    video_id: Id
    text: str = Field(max_length=20_000)
    like_count: int | None = None
    reply_count: int | None = None
    parent_comment_id: OptId = None
    create_time: Epoch = None


class CommentListData(Wire):
    comments: list[CommentItem] = Field(default_factory=list)
    cursor: int = 0
    has_more: Flag = False


def username_of(advertiser: AdAdvertiser) -> str | None:
    """The advertiser's TikTok username, from ``tiktok_account.profile_url``."""
    url = advertiser.profile_url
    if advertiser.tiktok_account and advertiser.tiktok_account.profile_url:
        url = advertiser.tiktok_account.profile_url
    m = _PROFILE.search(url or "")
    return m.group(1) if m else None


# The ad library's countries: the EEA, plus the United Kingdom and Switzerland.
AD_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IS",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "GB",
        "CH",
    ]
)
AD_LIBRARY_START = date(2022, 10, 1)  # "min" must be after this date
MAX_ADS_PAGE = 50
MAX_VIDEOS_PAGE = 100
MAX_COMMENTS_PAGE = 100
MAX_VIDEO_WINDOW_DAYS = 30
MAX_SEARCH_TERM = 50
