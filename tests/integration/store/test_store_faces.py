"""The store's small faces that jobs, web and runtime use instead of SQL: alerts raised
once per window, health facts, retention that spares mentioned domains, the totals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from harvester.store import Database, JobState, alerts, retention, upgrade
from harvester.store.alerts import alerts_page
from harvester.store.clock import utcnow
from harvester.store.comments import comments_page, upsert_comments
from harvester.store.domains import domains_page, ensure_domains
from harvester.store.health import oldest_waiting
from harvester.store.job_runs import add_dead_letter, set_job_status
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.overview import totals
from harvester.store.states import Severity
from harvester.store.videos import upsert_videos
from tests.one_day import one_day

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    d = Database(database_url)
    upgrade(d)
    yield d
    d.dispose()


def _mention(cid: str, vid: str, domain: str) -> MentionRow:
    return MentionRow(cid, vid, domain, domain, domain, domain, None, 0, 3, False, False, 0.9)


def test_an_alert_repeated_within_the_window_is_counted_not_stored_again(db: Database) -> None:
    since = utcnow() - timedelta(minutes=15)
    with db.session() as s:
        first = alerts.record_alert(s, "k", Severity.WARNING, "slow", None, repeat_since=since)
    with db.session() as s:
        again = alerts.record_alert(s, "k", Severity.WARNING, "slow", None, repeat_since=since)
        assert first is not None and again is None
        alerts.mark_delivered(s, first)
    with db.session() as s:
        rows = alerts_page(s)
        assert alerts.alerted_since(s, "k", since)
        assert not alerts.alerted_since(s, "other", since)
    assert [(r["occurrences"], r["delivered"]) for r in rows] == [(2, True)]


def test_oldest_waiting_is_the_backlog_whatever_the_job_rows_say(db: Database) -> None:
    now = utcnow()
    with db.session() as s:
        assert oldest_waiting(s) is None
        upsert_videos(s, [{"video_id": "v1"}], now - timedelta(minutes=40))
        set_job_status(s, "r1", "f", JobState.FAILED)  # a note, not an outcome
    with db.session() as s:
        oldest = oldest_waiting(s)
    assert oldest is not None and oldest.tzinfo is not None
    assert timedelta(minutes=39) < now - oldest < timedelta(minutes=41)


def test_retention_deletes_in_batches_and_spares_a_domain_still_mentioned(db: Database) -> None:
    now = utcnow()
    with db.session() as s:
        upsert_videos(s, [{"video_id": "v1"}], LONG_AGO)
        old = [{"comment_id": f"c{i}", "text": "x"} for i in range(3)]
        upsert_comments(s, "v1", old, LONG_AGO)
        upsert_comments(s, "v1", [{"comment_id": "fresh", "text": "kept.shop"}], now)
        record_mentions(s, [_mention("fresh", "v1", "kept.shop")], now)
        ensure_domains(s, {"gone.shop": "gone.shop"}, LONG_AGO)
    with db.session() as s:
        assert retention.delete_stale(s, "comment", now - timedelta(days=1), batch=2) == 2
    with db.session() as s:
        assert retention.delete_stale(s, "comment", now - timedelta(days=1), batch=2) == 1
    with db.session() as s:
        assert retention.delete_stale(s, "domain", now + timedelta(days=1), batch=10) == 1
    with db.session() as s:
        assert [d["name"] for d in domains_page(s)] == ["kept.shop"]
        assert [c["comment_id"] for c in comments_page(s)] == ["fresh"]
    with pytest.raises(ValueError, match="not a pruned table"), db.session() as s:
        retention.delete_stale(s, "video", now, batch=10)


def test_retention_keeps_the_cleanup_order_its_step_names_depend_on() -> None:
    assert list(retention.PRUNED) == [
        "comment",
        "domain",
        "alert",
        "job_status",
        "health_check",
        "worker_result",
    ]


def test_totals_count_what_is_stored_new_today_and_left_to_replay(db: Database) -> None:
    with one_day():
        _totals_count_what_is_stored(db)


def _totals_count_what_is_stored(db: Database) -> None:
    now = utcnow()
    with db.session() as s:
        upsert_videos(s, [{"video_id": "v1"}, {"video_id": "v2"}], now)
        upsert_comments(s, "v1", [{"comment_id": "c1", "text": "buy at a.shop"}], now)
        record_mentions(s, [_mention("c1", "v1", "a.shop")], now)
        record_mentions(s, [_mention("c1", "v1", "b.shop")], LONG_AGO)
        add_dead_letter(s, "f", "run-1", {"name": "e"}, {"error": "x"}, 3)
    with db.session() as s:
        t = totals(s)
    assert (t.videos, t.comments, t.domains, t.dead_letters) == (2, 1, 2, 1)
    assert t.new_domains_today == 1
