"""A loopback server that answers exactly with the reference's example responses
(``tests/fixtures/tiktok``) and refuses what the reference says it refuses. Not the
simulator: no data of its own, no behaviour beyond the documented rules."""

from __future__ import annotations

import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "tiktok"

# The field lists of the reference pages, dotted where the pages dot them.
_AD = [
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
DOCUMENTED_FIELDS = {
    "/v2/research/adlib/ad/query/": set(_AD),
    "/v2/research/adlib/ad/detail/": set(_AD)
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
    "/v2/research/adlib/advertiser/query/": {"business_id", "business_name", "country_code"},
    "/v2/research/video/query/": set(
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
            "hashtag_info",
            "video_mention_list",
            "video_label",
        ]
    ),
    "/v2/research/video/comment/list/": set(
        ["id", "video_id", "text", "like_count", "reply_count", "parent_comment_id", "create_time"]
    ),
}


def fixture(name: str) -> tuple[int, dict[str, Any]]:
    raw = json.loads((FIXTURES / f"{name}.json").read_text())
    return int(raw["http_status"]), raw["body"]


def _problem(path: str, fields: str, body: dict[str, Any]) -> str | None:
    """What the reference would refuse in this request, or None."""
    asked = [f for f in fields.split(",") if f]
    if not asked or set(asked) - DOCUMENTED_FIELDS[path]:
        return f"fields: {sorted(set(asked) - DOCUMENTED_FIELDS[path]) or 'missing'}"
    if path.endswith("ad/query/"):
        rng = (body.get("filters") or {}).get("ad_published_date_range") or {}
        if not str(rng.get("min", "")).isdigit() or str(rng["min"]) <= "20221001":
            return "filters.ad_published_date_range.min must be after 20221001"
        if int(body.get("max_count", 10)) > 50:
            return "max_count > 50"
    if path.endswith("video/query/"):
        if not body.get("query") or not body.get("start_date") or not body.get("end_date"):
            return "query, start_date and end_date are required"
        if int(body.get("max_count", 20)) > 100:
            return "max_count > 100"
    if path.endswith("comment/list/"):
        if "video_id" in body and "comment_id" in body:
            return "video_id and comment_id together"
        if not isinstance(body.get("video_id"), int) or int(body.get("max_count", 10)) > 100:
            return "video_id must be an int64, max_count <= 100"
    return None


@dataclass
class Reference:
    """Answers, the requests it saw and the ones it would have refused."""

    queued: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def then(self, path: str, *names: str) -> None:
        """Answer the next calls to ``path`` with these fixtures, in order."""
        self.queued[path].extend(names)

    def default(self, path: str, body: dict[str, Any]) -> str:
        if path.endswith("ad/query/"):
            return "ad_query_page2" if body.get("search_id") else "ad_query_page1"
        if path.endswith("ad/detail/"):
            return "ad_detail" if body.get("ad_id") == 1923845247192304 else "ad_detail_no_account"
        if path.endswith("advertiser/query/"):
            return "advertiser_query"
        if path.endswith("video/query/"):
            return "video_query"
        return "comment_list"

    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        name = self.queued["token"].popleft() if self.queued["token"] else "oauth_token"
        if form.get("grant_type") != "client_credentials" or not form.get("client_key"):
            name = "oauth_invalid_client_401"
        status, body = fixture(name)
        return JSONResponse(body, status_code=status)

    async def data(self, request: Request) -> JSONResponse:
        path = request.url.path
        body = await request.json()
        fields = request.query_params.get("fields", "")
        self.requests.append((path, fields, body))
        problem = _problem(path, fields, body)
        if not request.headers.get("authorization", "").lower().startswith("bearer clt."):
            name = "error_access_token_invalid"
        elif problem:
            self.rejected.append(f"{path}: {problem}")
            name = "error_invalid_params"
        elif self.queued[path]:
            name = self.queued[path].popleft()
        else:
            name = self.default(path, body)
        status, answer = fixture(name)
        return JSONResponse(answer, status_code=status)

    def app(self) -> Starlette:
        routes = [Route("/v2/oauth/token/", self.token, methods=["POST"])]
        routes += [Route(p, self.data, methods=["POST"]) for p in DOCUMENTED_FIELDS]
        return Starlette(routes=routes)
