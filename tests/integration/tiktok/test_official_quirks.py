"""The official clients against the reference's own example responses: one test per
quirk the reference shows (types, paging, errors), on a loopback reference server."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest

from harvester.tiktok import (
    InMemoryQuota,
    QuotaExhausted,
    RateLimited,
    ResearchApiSource,
    SearchExpired,
    SourceAuthError,
    SourceRejected,
    SourceResponseError,
    SourceUnavailable,
    VideoUnavailable,
)

from .reference import Reference

AD_QUERY = "/v2/research/adlib/ad/query/"
COMMENTS = "/v2/research/video/comment/list/"
VIDEO = "7231338487075638570"
START, END = date(2026, 11, 24), date(2026, 12, 1)


def _source(ref: Reference, **kw: object) -> ResearchApiSource:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=ref.app()), timeout=5.0)
    return ResearchApiSource("http://reference", "key", "secret", http=http, **kw)  # type: ignore[arg-type]


@pytest.fixture
def ref() -> Reference:
    return Reference()


async def test_numeric_dates_and_string_has_more_page_to_the_end(ref: Reference) -> None:
    src = _source(ref)
    first = await src.discover_page(region="IT", start=START, end=END)
    assert first.has_more is True and first.search_id
    assert first.ads[0].first_shown == date(2021, 1, 1)
    assert first.ads[0].ad_id == "1923845247192304"
    last = await src.discover_page(region="IT", start=START, end=END, search_id=first.search_id)
    assert last.has_more is False  # the string "false", not bool("false")
    assert not ref.rejected


async def test_fields_are_dotted_as_the_reference_lists_them(ref: Reference) -> None:
    src = _source(ref)
    await src.discover_page(region="FR", start=START, end=END)
    await src.ad_detail("1923845247192304")
    fields = {path: f.split(",") for path, f, _ in ref.requests}
    assert "ad.id" in fields[AD_QUERY] and "advertiser.business_name" in fields[AD_QUERY]
    assert "advertiser.profile_url" in fields["/v2/research/adlib/ad/detail/"]
    assert not ref.rejected


async def test_ad_detail_gives_the_account_and_the_outbound_link(ref: Reference) -> None:
    src = _source(ref)
    detail = await src.ad_detail("1923845247192304")
    assert detail.username == "awesomefood"
    assert detail.external_url == "https://awesomefood.it/menu?utm_source=tiktok"
    assert detail.first_shown == detail.last_shown == date(2021, 1, 1)
    bare = await src.ad_detail("1923845247192305")
    assert bare.username is None and bare.advertiser_name == "Awesome Drink Co."


async def test_video_ids_as_numbers_or_strings(ref: Reference) -> None:
    src = _source(ref)
    page = await src.advertiser_videos(
        "awesomefood", start=date(2020, 12, 25), end=date(2021, 3, 1)
    )
    assert [v.video_id for v in page.videos] == [VIDEO, "7231338487075638571"]
    assert page.videos[0].create_time is not None and page.has_more is False
    _, _, body = ref.requests[-1]
    assert body["end_date"] == "20210123"  # the window is cut to 30 days
    assert not ref.rejected


async def test_redacted_personal_data_is_kept_as_sent(ref: Reference) -> None:
    page = await _source(ref).comment_page(VIDEO)
    assert any("a*******@****" in c.text for c in page.comments)
    assert {c.video_id for c in page.comments} == {VIDEO}
    assert not ref.rejected


async def test_scope_not_authorized_is_not_retried_and_names_the_scope(ref: Reference) -> None:
    ref.then(COMMENTS, "error_scope_not_authorized", "comment_list")
    with pytest.raises(SourceRejected, match=r"research\.data\.basic") as err:
        await _source(ref).comment_page(VIDEO)
    assert err.value.retriable is False
    assert len(ref.requests) == 1  # no token refresh, no second try


async def test_access_token_invalid_refreshes_once(ref: Reference) -> None:
    ref.then(COMMENTS, "error_access_token_invalid")
    page = await _source(ref).comment_page(VIDEO)
    assert len(page.comments) == 3 and len(ref.requests) == 2
    ref.then(COMMENTS, "error_access_token_invalid", "error_access_token_invalid")
    with pytest.raises(SourceAuthError, match="TIKTOK_CLIENT_KEY"):
        await _source(ref).comment_page(VIDEO)


async def test_oauth_error_with_http_200_is_bad_credentials(ref: Reference) -> None:
    ref.then("token", "oauth_invalid_client_200")
    with pytest.raises(SourceAuthError, match="invalid_client") as err:
        await _source(ref).comment_page(VIDEO)
    assert err.value.retriable is False and not ref.requests


async def test_expired_search_id_asks_for_a_restart(ref: Reference) -> None:
    ref.then(AD_QUERY, "error_search_id_expired")
    with pytest.raises(SearchExpired):
        await _source(ref).discover_page(region="IT", start=START, end=END, search_id="x")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("error_comments_not_disclosed", "comments_not_disclosable"),
        ("error_video_deleted", "video_deleted"),
    ],
)
async def test_unavailable_comments_name_the_reason(ref: Reference, name: str, reason: str) -> None:
    ref.then(COMMENTS, name)
    with pytest.raises(VideoUnavailable) as err:
        await _source(ref).comment_page(VIDEO)
    assert err.value.reason == reason and err.value.retriable is False


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("error_rate_limit", RateLimited),
        ("error_daily_quota", QuotaExhausted),
        ("error_internal", SourceUnavailable),
        ("error_invalid_params", SourceRejected),
    ],
)
async def test_error_codes_map_to_what_to_do(
    ref: Reference, name: str, error: type[Exception]
) -> None:
    ref.then(COMMENTS, name)
    with pytest.raises(error):
        await _source(ref).comment_page(VIDEO)


async def test_a_broken_shape_fails_naming_the_field(ref: Reference, tmp_path: object) -> None:
    src = _source(ref)
    broken = {"data": {"ads": [], "has_more": "maybe"}, "error": {"code": "ok"}}
    src.api.http = httpx.AsyncClient(
        transport=httpx.MockTransport(
            lambda r: (
                httpx.Response(200, json={"access_token": "clt.x", "expires_in": 7200})
                if r.url.path.endswith("token/")
                else httpx.Response(200, content=json.dumps(broken))
            )
        )
    )
    with pytest.raises(SourceResponseError, match="has_more"):
        await src.discover_page(region="IT", start=START, end=END)


async def test_budget_is_spent_before_sending_and_counts_records(ref: Reference) -> None:
    budget = InMemoryQuota(2)
    src = _source(ref, quota=budget)
    await src.comment_page(VIDEO)
    await src.comment_page(VIDEO)
    with pytest.raises(QuotaExhausted) as err:
        await src.comment_page(VIDEO)
    assert err.value.reset_at.hour == 0 and len(ref.requests) == 2
    assert budget.records["research"] == 6


async def test_unsupported_country_is_refused_before_sending(ref: Reference) -> None:
    with pytest.raises(SourceRejected, match="HARVESTER_REGIONS"):
        await _source(ref).discover_page(region="US", start=START, end=END)
    assert not ref.requests
    await _source(ref).discover_page(region="ALL", start=START, end=END)  # the default
    assert ref.requests[0][2]["filters"]["country_code"] == "ALL" and not ref.rejected
