"""The simulator behaves like TikTok, not like our client: the reference's shapes, its
rejections, daily quotas with the documented codes, bursts of 500s, expiring search
ids, deleted and undisclosable posts; and every reference fixture replays against both
the simulator and the client with the same shapes."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx
import pytest

from harvester.sim.tiktok import Faults, create_app, iter_comments
from harvester.sim.tiktok.world import day_of, post_state
from harvester.tiktok.wire import (
    AD_DETAIL_FIELDS,
    AD_QUERY_FIELDS,
    COMMENT_FIELDS,
    VIDEO_FIELDS,
    AdItem,
    AdQueryData,
    CommentListData,
    VideoQueryData,
)

from .reference import fixture

NOW = 1_790_000_000.0
TODAY = day_of(NOW).strftime("%Y%m%d")
AD_QUERY = "/v2/research/adlib/ad/query/"
AD_DETAIL = "/v2/research/adlib/ad/detail/"
VIDEO_QUERY = "/v2/research/video/query/"
COMMENTS = "/v2/research/video/comment/list/"
VIDEO = 7300000000000000001


class Sim:
    def __init__(self, faults: Faults | None = None, seed: int = 3) -> None:
        self.t = NOW
        self.app = create_app(seed=seed, faults=faults, clock=lambda: self.t)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://sim"
        )

    async def token(self) -> str:
        res = await self.http.post(
            "/v2/oauth/token/",
            data={"client_key": "k", "client_secret": "s", "grant_type": "client_credentials"},
        )
        return str(res.json()["access_token"])

    async def post(self, path: str, fields: str, body: dict[str, Any]) -> httpx.Response:
        headers = {"Authorization": f"Bearer {await self.token()}"}
        return await self.http.post(path, params={"fields": fields}, json=body, headers=headers)


def _ads(**over: Any) -> dict[str, Any]:
    body = {
        "filters": {
            "ad_published_date_range": {"min": TODAY, "max": TODAY},
            "country_code": "FR",
        },
        "max_count": 50,
    }
    body.update(over)
    return body


@pytest.mark.parametrize(
    ("path", "fields", "body", "says"),
    [
        (AD_QUERY, "ad,advertiser", _ads(), "Invalid fields"),
        (
            AD_QUERY,
            AD_QUERY_FIELDS,
            _ads(filters={"ad_published_date_range": {"min": "20220901", "max": TODAY}}),
            "20221001",
        ),
        (
            AD_QUERY,
            AD_QUERY_FIELDS,
            _ads(
                filters={
                    "ad_published_date_range": {"min": TODAY, "max": TODAY},
                    "country_code": "US",
                }
            ),
            "country_code",
        ),
        (AD_QUERY, AD_QUERY_FIELDS, _ads(search_term="x" * 51), "search_term"),
        (AD_QUERY, AD_QUERY_FIELDS, _ads(max_count=51), "max_count"),
        (COMMENTS, COMMENT_FIELDS, {"video_id": VIDEO, "comment_id": 1}, "not both"),
        (COMMENTS, COMMENT_FIELDS, {"video_id": VIDEO, "max_count": 101}, "max_count"),
        (COMMENTS, COMMENT_FIELDS, {"video_id": str(VIDEO)}, "int64"),
        (
            VIDEO_QUERY,
            VIDEO_FIELDS,
            {
                "query": {
                    "and": [{"operation": "EQ", "field_name": "username", "field_values": ["x"]}]
                },
                "start_date": "20260101",
                "end_date": "20260301",
            },
            "30 days",
        ),
    ],
)
async def test_rejects_what_the_real_api_rejects(
    path: str, fields: str, body: dict[str, Any], says: str
) -> None:
    res = await Sim().post(path, fields, body)
    assert res.status_code == 400
    assert (
        res.json()["error"]["code"] == "invalid_params" and says in res.json()["error"]["message"]
    )


async def test_search_id_is_bound_to_its_filters_and_expires() -> None:
    sim = Sim(Faults(search_id_ttl=60))
    first = (await sim.post(AD_QUERY, AD_QUERY_FIELDS, _ads())).json()["data"]
    assert first["has_more"] == "true"  # a string, as in the reference's example
    other = _ads(
        search_id=first["search_id"],
        filters={"ad_published_date_range": {"min": TODAY, "max": TODAY}, "country_code": "DE"},
    )
    assert "other filters" in (await sim.post(AD_QUERY, AD_QUERY_FIELDS, other)).text
    sim.t += 61
    res = await sim.post(AD_QUERY, AD_QUERY_FIELDS, _ads(search_id=first["search_id"]))
    assert "is invalid or expired" in res.json()["error"]["message"]


async def test_records_per_day_and_fresh_search_ids_refused_as_expired() -> None:
    sim = Sim(Faults(daily_records=5))
    first = await sim.post(COMMENTS, COMMENT_FIELDS, {"video_id": VIDEO, "max_count": 5})
    assert len(first.json()["data"]["comments"]) == 5
    res = await sim.post(COMMENTS, COMMENT_FIELDS, {"video_id": VIDEO, "max_count": 5})
    assert res.status_code == 429 and "record" in res.json()["error"]["message"]
    flaky = Sim(Faults(search_id_expire_ratio=1.0))
    page = (await flaky.post(AD_QUERY, AD_QUERY_FIELDS, _ads())).json()["data"]
    again = await flaky.post(AD_QUERY, AD_QUERY_FIELDS, _ads(search_id=page["search_id"]))
    assert "is invalid or expired" in again.json()["error"]["message"]


async def test_undocumented_paths_are_404() -> None:
    res = await Sim().post("/v2/research/adlib/ad/list/", AD_QUERY_FIELDS, {})
    assert res.status_code == 404


@pytest.mark.parametrize("code", ["rate_limit_exceeded", "daily_quota_limit_exceeded"])
async def test_daily_quota_uses_the_documented_code_per_api(code: str) -> None:
    sim = Sim(Faults(daily_quota=1, daily_quota_code=code))
    assert (await sim.post(COMMENTS, COMMENT_FIELDS, {"video_id": VIDEO})).status_code == 200
    res = await sim.post(COMMENTS, COMMENT_FIELDS, {"video_id": VIDEO})
    assert res.status_code == 429 and res.json()["error"]["code"] == code
    assert "Retry-After" not in res.headers  # none is documented
    assert (await sim.post(AD_QUERY, AD_QUERY_FIELDS, _ads())).status_code == 200  # other API


async def test_500s_come_in_bursts() -> None:
    sim = Sim(Faults(error_5xx_ratio=1.0, burst_5xx=3))
    first = await sim.post(COMMENTS, COMMENT_FIELDS, {"video_id": VIDEO})
    assert first.status_code == 500
    sim.app.state.faults.error_5xx_ratio = 0.0
    codes = [
        (await sim.post(COMMENTS, COMMENT_FIELDS, {"video_id": VIDEO})).status_code
        for _ in range(3)
    ]
    assert codes == [500, 500, 200]


async def test_deleted_and_undisclosable_posts() -> None:
    sim = Sim()
    states = {post_state(3, str(VIDEO + 2 * i)): VIDEO + 2 * i for i in range(400)}
    deleted = await sim.post(COMMENTS, COMMENT_FIELDS, {"video_id": states["deleted"]})
    hidden = await sim.post(COMMENTS, COMMENT_FIELDS, {"video_id": states["undisclosed"]})
    assert deleted.status_code == 404
    assert "not allowed to be disclosed" in hidden.json()["error"]["message"]


def test_comments_carry_redacted_emails_and_heavy_tailed_domains() -> None:
    rows = list(iter_comments(3, 20_000))
    texts = [t for _, t, _ in rows]
    assert any("*******@****" in t for t in texts)
    assert not any("@" in t and "*" not in t and "/@" not in t for t in texts)
    counts = Counter(d for _, _, truth in rows for d in truth)
    top = sum(n for _, n in counts.most_common(10))
    assert top > 0.2 * sum(counts.values())  # a few pushed domains carry much of it
    assert sum(1 for n in counts.values() if n == 1) > len(counts) / 2  # a long tail


def _shape(obj: Any, path: str = "") -> dict[str, str]:
    """JSON path → JSON type, list items merged."""
    if isinstance(obj, dict):
        out: dict[str, str] = {path: "object"} if path else {}
        for k, v in obj.items():
            out |= _shape(v, f"{path}.{k}" if path else k)
        return out
    if isinstance(obj, list):
        out = {path: "array"}
        for v in obj:
            out |= _shape(v, path + "[]")
        return out
    kind = {bool: "bool", int: "number", float: "number", str: "string"}.get(type(obj), "null")
    return {path: kind}


FIDELITY = [
    ("ad_query_page1", AD_QUERY, AD_QUERY_FIELDS, _ads(), AdQueryData),
    ("ad_detail", AD_DETAIL, AD_DETAIL_FIELDS, None, AdItem),
    ("video_query", VIDEO_QUERY, VIDEO_FIELDS, None, VideoQueryData),
    (
        "comment_list",
        COMMENTS,
        COMMENT_FIELDS,
        {"video_id": VIDEO, "max_count": 5},
        CommentListData,
    ),
]


async def _an_account_and_its_ad(sim: Sim) -> tuple[str, int]:
    """A simulated ad whose advertiser has a TikTok account, and that account."""
    ads = (await sim.post(AD_QUERY, AD_QUERY_FIELDS, _ads())).json()["data"]["ads"]
    for ad in ads:
        body = {"ad_id": ad["ad"]["id"]}
        detail = (await sim.post(AD_DETAIL, AD_DETAIL_FIELDS, body)).json()["data"]
        if "tiktok_account" in detail["advertiser"]:
            return detail["advertiser"]["tiktok_account"]["profile_url"].split("@")[-1], body[
                "ad_id"
            ]
    raise AssertionError("no simulated advertiser has an account")


@pytest.mark.parametrize(("name", "path", "fields", "body", "model"), FIDELITY)
async def test_fixtures_and_simulator_share_shapes(
    name: str, path: str, fields: str, body: dict[str, Any] | None, model: Any
) -> None:
    sim = Sim()
    if body is None:
        user, ad_id = await _an_account_and_its_ad(sim)
        cond = {"operation": "EQ", "field_name": "username", "field_values": [user]}
        body = (
            {"ad_id": ad_id}
            if path == AD_DETAIL
            else {"query": {"and": [cond]}, "start_date": "20260822", "end_date": "20260920"}
        )
    _, reference = fixture(name)
    got = (await sim.post(path, fields, body)).json()
    assert got["data"].get("ads", got["data"].get("videos", [1])), "nothing to compare"
    model.model_validate(reference["data"])  # the client reads the reference ...
    model.model_validate(got["data"])  # ... and the simulator alike
    ref_shape, sim_shape = _shape(reference["data"]), _shape(got["data"])
    # Every field the simulator sends has the reference's JSON type where both have it
    # (ids may be numbers or strings in the reference; the simulator follows the example).
    clash = {
        p: (ref_shape[p], sim_shape[p])
        for p in ref_shape.keys() & sim_shape.keys()
        if ref_shape[p] != sim_shape[p] and not p.endswith("id") and sim_shape[p] != "null"
    }
    assert not clash, json.dumps(clash)
    asked = {f.split(".")[-1] for f in fields.split(",")}
    missing = {p for p in ref_shape if p.split(".")[-1].rstrip("[]") in asked} - sim_shape.keys()
    assert not missing, f"the simulator lacks {sorted(missing)} that the reference has"
