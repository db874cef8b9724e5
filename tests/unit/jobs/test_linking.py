"""The linking rules: which of an advertiser's posts an ad promotes, and how sure."""

from __future__ import annotations

from datetime import UTC, date, datetime

from harvester.jobs.linking import candidates, window
from harvester.tiktok import AdDetail, LinkRule, PromotedVideo

AD = AdDetail(
    ad_id="1", username="brand", first_shown=date(2026, 3, 10), last_shown=date(2026, 3, 20)
)


def _post(vid: str, day: int, hour: int = 12) -> PromotedVideo:
    return PromotedVideo(video_id=vid, create_time=datetime(2026, 3, day, hour, tzinfo=UTC))


def test_the_window_starts_a_week_early_and_spans_at_most_30_days() -> None:
    assert window(AD, date(2026, 12, 1)) == (date(2026, 3, 3), date(2026, 3, 20))
    long = AD.model_copy(update={"last_shown": date(2026, 6, 1)})
    start, end = window(long, date(2026, 12, 1))
    assert (end - start).days == 29
    assert window(AD, date(2026, 3, 15))[1] == date(2026, 3, 15)  # never in the future


def test_a_post_just_before_the_ad_wins_and_later_posts_follow() -> None:
    found = candidates(AD, [_post("late", 15), _post("launch", 9, 22), _post("old", 1)])
    assert [(v.video_id, v.link_rule, v.link_confidence) for v in found] == [
        ("launch", LinkRule.ACCOUNT_WINDOW, 0.9),
        ("late", LinkRule.ACCOUNT_WINDOW, 0.6),
    ]
    assert all(v.ad_id == "1" for v in found)


def test_an_earlier_post_is_a_weak_link_only_when_nothing_is_in_the_window() -> None:
    found = candidates(AD, [_post("teaser", 5), _post("old", 1)])
    assert [(v.video_id, v.link_rule, v.link_confidence) for v in found] == [
        ("teaser", LinkRule.ACCOUNT_NEAR, 0.4)
    ]
    assert candidates(AD, [_post("after", 25)]) == []
