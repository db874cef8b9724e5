"""What every reader turns a row into: a video, a comment, or a skip with its reason.

Plain slotted dataclasses, not pydantic models: an import reads tens of thousands of
rows a second, and each reader validates its own fields with the helpers below, so a
bad value is refused with the field's name in the format's own words."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_TEXT = 20_000
_DIGITS = re.compile(r"\d{1,25}")
_COMMENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_VIDEO_URL = re.compile(r"/video/(\d{5,25})")
# Epoch seconds beyond this are milliseconds (2286-11-20 in seconds).
_MAX_EPOCH_S = 10_000_000_000


class SkipReason(enum.StrEnum):
    """Why a row was not stored. Only ``MALFORMED`` counts against the bad-row limit."""

    OTHER_PLATFORM = "other_platform"  # counted per platform: "other_platform:instagram.com"
    MALFORMED = "malformed"
    TRUNCATED_LAST_LINE = "truncated_last_line"  # an export cut off while being written
    NOT_TIKTOK = "not_tiktok"  # e.g. a yt-dlp info.json of a YouTube video


class RowError(ValueError):
    """A field of one row is missing or of the wrong shape (raised inside readers)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(slots=True)
class VideoRecord:
    video_id: str
    url: str | None = None
    username: str | None = None
    description: str | None = None
    create_time: datetime | None = None
    region_code: str | None = None
    view_count: int | None = None
    comment_count: int | None = None
    ad_id: str | None = None
    advertiser_name: str | None = None
    promoted: bool | None = None  # None: the format does not say
    collected_at: datetime | None = None


@dataclass(slots=True)
class CommentRecord:
    comment_id: str
    video_id: str
    text: str
    like_count: int | None = None
    reply_count: int | None = None
    parent_comment_id: str | None = None
    create_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """A row not stored: ``line`` of the file, the reason, and for people the detail
    (which starts with the line: ``line 14: like_count: expected a count ≥ 0``)."""

    line: int
    reason: SkipReason
    detail: str = ""
    platform: str | None = None

    @property
    def key(self) -> str:
        """The report's ``skipped`` key: other platforms are counted one by one."""
        if self.reason is SkipReason.OTHER_PLATFORM and self.platform:
            return f"{self.reason}:{self.platform[:40]}"
        return str(self.reason)

    @property
    def bad(self) -> bool:
        return self.reason is SkipReason.MALFORMED

    def __str__(self) -> str:
        return self.detail or f"line {self.line}: {self.reason}"


Outcome = VideoRecord | CommentRecord | Skip


def absent(v: Any) -> bool:
    return v is None or v == ""


_IS_DIGITS = _DIGITS.fullmatch
_IS_COMMENT_ID = _COMMENT_ID.fullmatch


def video_id(v: Any, field: str) -> str:
    """A TikTok post id: 1-25 digits (a number or a string)."""
    if type(v) is str and _IS_DIGITS(v):  # the usual case, first
        return v
    s = str(v).strip() if isinstance(v, int | str) and not isinstance(v, bool) else ""
    if not _DIGITS.fullmatch(s):
        raise RowError(field, f"a TikTok post id is 1-25 digits, got {_show(v)}")
    return s


def video_id_from_url(url: Any, field: str) -> str:
    """The post id of a ``…/video/<digits>`` link."""
    m = _VIDEO_URL.search(url) if isinstance(url, str) else None
    if not m:
        raise RowError(field, f"not a TikTok video link: {_show(url)}")
    return m.group(1)


def comment_id(v: Any, field: str) -> str:
    if type(v) is str and _IS_COMMENT_ID(v):  # the usual case, first
        return v
    s = str(v).strip() if isinstance(v, int | str) and not isinstance(v, bool) else ""
    if not _COMMENT_ID.fullmatch(s):
        raise RowError(field, f"a comment id is 1-64 of A-Z a-z 0-9 _ . : -, got {_show(v)}")
    return s


def text(v: Any, field: str, *, required: bool = False, limit: int = MAX_TEXT) -> str | None:
    """A string of at most ``limit`` characters (numbers are taken as their digits)."""
    if type(v) is str and 0 < len(v) <= limit:  # the usual case, first
        return v
    if absent(v):
        if required:
            raise RowError(field, "missing or empty")
        return None
    if isinstance(v, int | float) and not isinstance(v, bool):
        v = str(v)
    if not isinstance(v, str):
        raise RowError(field, f"expected text, got {type(v).__name__}")
    if len(v) > limit:
        raise RowError(field, f"longer than {limit} characters")
    return v


def count(v: Any, field: str) -> int | None:
    """A count ≥ 0 as a number or digits; absent stays None."""
    if type(v) is int and v >= 0:  # the usual case, first (bool is not int's type)
        return v
    if absent(v):
        return None
    if isinstance(v, bool):
        raise RowError(field, "expected a count, got true/false")
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, str) and v.strip().isdigit():
        v = int(v.strip())
    if not isinstance(v, int) or v < 0:
        raise RowError(field, f"expected a count ≥ 0, got {_show(v)}")
    return v


def epoch(v: Any, field: str) -> datetime | None:
    """Unix seconds (or milliseconds) as a number or digits, in UTC."""
    if type(v) is int and 0 <= v <= _MAX_EPOCH_S:  # the usual case, first
        return datetime.fromtimestamp(v, UTC)
    if absent(v):
        return None
    if isinstance(v, str) and v.strip().isdigit():
        v = int(v.strip())
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise RowError(field, f"expected unix seconds, got {_show(v)}")
    seconds = v / 1000 if v > _MAX_EPOCH_S else v
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise RowError(field, f"not a time: {_show(v)}") from exc


def iso(v: Any, field: str) -> datetime | None:
    """ISO 8601 (``Z`` or an offset; naive is UTC) or, as some exports do, unix seconds."""
    if absent(v):
        return None
    if isinstance(v, int | float) or (isinstance(v, str) and v.strip().isdigit()):
        return epoch(v, field)
    if not isinstance(v, str):
        raise RowError(field, f"expected an ISO 8601 time, got {_show(v)}")
    try:
        dt = datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise RowError(field, f"expected an ISO 8601 time, got {_show(v)}") from exc
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


def yes_no(v: Any, field: str) -> bool | None:
    """A flag as a boolean, 0/1, or the words exports use (yes/no, true/false)."""
    if absent(v):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        word = v.strip().lower()
        if word in ("yes", "true", "1"):
            return True
        if word in ("no", "false", "0"):
            return False
    raise RowError(field, f"expected yes/no, got {_show(v)}")


def obj(v: Any, field: str) -> dict[str, Any]:
    """A nested object (``{}`` when absent)."""
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise RowError(field, f"expected an object, got {type(v).__name__}")
    return v


def _show(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."
